// The pages' languages: one table per language (lang-en.js, lang-de.js), t(key, params) to look a string up,
// and the choice of language (a switch the user set > the session's scenario "lang" > the browser's languages >
// English). Any page uses it with one import: `import { t, startLanguage } from './i18n.js'`.
// Adding a language: docs/architecture.md, "Languages of the pages".
import en from './lang-en.js';
import de from './lang-de.js';

/** Every table, by its primary language subtag. English is complete by definition; the others are checked. */
export const TABLES = { en, de };
const FALLBACK = 'en';
const CHOSEN_KEY = 'roundtable.lang';

let current = FALLBACK;
let rules = new Intl.PluralRules(FALLBACK);
const listeners = new Set();

/** The language in use (a key of TABLES). */
export function language() {
  return current;
}

/** The table's language for a BCP 47 tag ("de-AT" -> "de"), or null when there is no table for it. */
export function supported(tag) {
  if (typeof tag !== 'string') return null;
  const primary = tag.trim().toLowerCase().split('-')[0];
  return Object.hasOwn(TABLES, primary) ? primary : null;
}

/**
 * The string `key` in the current language, with `{name}` replaced by params.name. A plural entry is an object
 * of Intl.PluralRules forms ({one, other}; more where a language has them) picked by params.n.
 * A key missing from a table falls back to English, then to the key itself (so a gap shows, never crashes).
 */
export function t(key, params = {}) {
  let entry = TABLES[current][key] ?? TABLES[FALLBACK][key] ?? key;
  if (entry && typeof entry === 'object') entry = entry[rules.select(Number(params.n))] ?? entry.other;
  return String(entry).replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/** The text of an error a request got: the table's `error.CODE` if it has one, else the server's own words. */
export function errorText(e) {
  const code = e && e.code;
  const key = `error.${code}`;
  if (code && (Object.hasOwn(TABLES[current], key) || Object.hasOwn(TABLES[FALLBACK], key))) return t(key);
  return (e && e.message) || String(e);
}

/** The number n as the current language writes it (1.5 / 1,5). */
export function number(n, digits = 0) {
  return Number(n).toLocaleString(current, { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Sets the language (a tag or a TABLES key) and tells every listener; <html lang> follows. */
export function setLanguage(tag) {
  const lang = supported(tag) || FALLBACK;
  current = lang;
  rules = new Intl.PluralRules(lang);
  document.documentElement.lang = lang;
  translatePage();
  for (const f of listeners) f(lang);
}

/** Calls f(lang) after every change of language (to redraw what a page drew itself). */
export function onLanguage(f) {
  listeners.add(f);
}

/** The language the user picked with the switch on this browser, if any. */
export function chosenLanguage() {
  try { return supported(localStorage.getItem(CHOSEN_KEY)); } catch { return null; }
}

/** The first of the browser's languages that has a table, if any. */
export function browserLanguage() {
  for (const tag of navigator.languages || [navigator.language]) {
    const lang = supported(tag);
    if (lang) return lang;
  }
  return null;
}

/**
 * Picks and sets the page's language: the switch's choice, else `sessionLang` (the scenario's "lang", when a
 * page knows a session), else the browser's, else English. Call again when the session's language is known.
 */
export function startLanguage(sessionLang) {
  setLanguage(chosenLanguage() || supported(sessionLang) || browserLanguage() || FALLBACK);
}

/**
 * Writes the static text of the page: an element with data-i18n="key" gets t(key) as its text, and
 * data-i18n-attr="aria-label=key;placeholder=key2" sets those attributes.
 */
export function translatePage(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]'))
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split('=').map((s) => s.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
}

/**
 * A language switch (a labelled <select>, each language named in itself). Choosing one remembers it in
 * localStorage (it then wins over the session's and the browser's language) and switches the page.
 */
export function languageSwitch() {
  const select = document.createElement('select');
  select.id = 'lang-switch';
  select.className = 'lang-switch';
  select.setAttribute('aria-label', t('lang.switch'));
  for (const lang of Object.keys(TABLES)) {
    const o = document.createElement('option');
    o.value = lang;
    o.lang = lang;
    o.textContent = TABLES[lang]['lang.name'];
    select.append(o);
  }
  select.value = current;
  select.addEventListener('change', () => {
    try { localStorage.setItem(CHOSEN_KEY, select.value); } catch { /* private mode: this page only */ }
    setLanguage(select.value);
  });
  onLanguage((lang) => {
    select.value = lang;
    select.setAttribute('aria-label', t('lang.switch'));
  });
  return select;
}
