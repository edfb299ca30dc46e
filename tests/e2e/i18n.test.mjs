// The pages in German (issue 15 item 11): a German browser gets the participant page, the console and the
// projector in German; a scenario with "lang": "de" turns an English browser's participant page and projector
// German, a "lang" with no table ("fr") leaves the browser's language; the language switch overrides both
// (remembered across a reload). The console runs in English here, as its browser is English.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useServerAndBrowser, PHONE, root } from './harness.mjs';

const KEY = 'e2e-key-i18n-0123456789';
const GERMAN = { ...PHONE, locale: 'de-DE' };
const ENGLISH = { ...PHONE, locale: 'en-US' };
const codes = {};
let host;

// Three cases from one fixture: "plain" says no language, "german" says "de", "french" says "fr-CA" (no table).
function writeCases() {
  const dir = mkdtempSync(join(tmpdir(), 'roundtable-i18n-'));
  const base = JSON.parse(readFileSync(join(root, 'tests/fixtures/server/passes.json'), 'utf8'));
  writeFileSync(join(dir, 'plain.json'), JSON.stringify({ ...base, id: 'plain', title: 'Plain case' }));
  writeFileSync(join(dir, 'german.json'), JSON.stringify({ ...base, id: 'german', lang: 'de', title: 'Ein deutscher Fall' }));
  writeFileSync(join(dir, 'french.json'), JSON.stringify({ ...base, id: 'french', lang: 'fr-CA', title: 'Un cas' }));
  return dir;
}

// Starts the case on the (English) console, goes to its first question and opens voting; returns the code.
// The session view of the case just started is the one with its title (the last one's is still in the page).
async function startAndOpen(id, title) {
  await host.click(`[data-scenario="${id}"] button.start`);
  await host.locator('#run:not([hidden]) .join-box', { hasText: title }).waitFor();
  const code = (await host.locator('#join-code').innerText()).trim();
  await host.click('#next');
  await host.locator('#host-stage-title', { hasText: 'First reaction' }).waitFor();
  await host.click('#open-close');
  await host.locator('#round-info', { hasText: 'Round 1 · open' }).waitFor();
  return code;
}

const folder = writeCases();
const site = useServerAndBrowser({ key: KEY, scenarios: folder }, {
  setup: async () => {
    host = await site.page({ locale: 'en-US' });
    await host.goto(`${site.server.origin}/host#key=${KEY}`);
    codes.plain = await startAndOpen('plain', 'Plain case');
    await host.getByRole('button', { name: 'Back to the scenario list' }).click();
    codes.german = await startAndOpen('german', 'Ein deutscher Fall');
    await host.getByRole('button', { name: 'Back to the scenario list' }).click();
    codes.french = await startAndOpen('french', 'Un cas');
    assert.equal(new Set(Object.values(codes)).size, 3, `three sessions: ${JSON.stringify(codes)}`);
  },
  cleanup: async () => rmSync(folder, { recursive: true, force: true }),
});
const phone = (options) => site.page(options);

const htmlLang = (p) => p.evaluate(() => document.documentElement.lang);

test('a German browser sees the participant page in German, errors and question controls included', async () => {
  const p = await phone(GERMAN);
  await p.goto(`${site.server.origin}/`);
  await p.locator('h1', { hasText: 'An einer Sitzung teilnehmen' }).waitFor();
  assert.equal(await htmlLang(p), 'de');
  assert.equal(await p.title(), 'Teilnehmen · Roundtable');
  assert.equal(await p.locator('label[for="code"]').innerText(), 'Sechsstelliger Code von der Moderation');
  assert.equal(await p.locator('#lang-switch').getAttribute('aria-label'), 'Sprache');

  // Errors: the page's own check, and the server's unknown_code.
  await p.fill('#code', '123');
  await p.click('#join-form button[type="submit"]');
  assert.equal(await p.locator('#join-error').innerText(), 'Der Code hat sechs Ziffern.');
  const wrong = codes.plain === '000000' ? '000001' : '000000';
  await p.fill('#code', wrong);
  await p.click('#join-form button[type="submit"]');
  await p.locator('#join-error', { hasText: `Keine Sitzung hat den Code ${wrong}.` }).waitFor();

  await p.fill('#code', codes.plain);
  await p.click('#join-form button[type="submit"]');
  await p.locator('#round-status[data-status="open"]').waitFor();
  assert.equal(await p.locator('#conn').innerText(), 'Verbunden');
  assert.equal(await p.locator('.stage-count').innerText(), 'Schritt 2 von 5');
  assert.equal(await p.locator('#round-status').innerText(), 'Die Abstimmung ist geöffnet · bisher haben 0 Personen abgestimmt');
  assert.equal(await p.locator('#send').innerText(), 'Stimme abgeben');
  assert.equal(await p.locator('#pass').innerText(), 'Unsicher / Enthaltung');
  assert.equal(await p.locator('#case-box summary').innerText(), 'Der Fall');
  // The scenario's own text stays as its author wrote it.
  assert.equal(await p.locator('#stage-title').innerText(), 'First reaction');

  await p.getByLabel('Refer', { exact: true }).check();
  await p.click('#send');
  await p.locator('#ack[data-kind="ok"]', { hasText: 'Stimme gespeichert.' }).waitFor();
  assert.equal(await p.locator('#withdraw').innerText(), 'Meine Antwort zurückziehen');

  // Revealed with one ballot: held back, in German, with the German plural.
  // The console lists the sessions it was told of when it connected: a reload lists all three.
  await host.reload();
  await host.locator('#run:not([hidden]) #join-code').waitFor();
  await host.getByRole('button', { name: 'Back to the scenario list' }).click();
  await host.locator('#sessions li', { hasText: codes.plain }).getByRole('button', { name: 'Resume' }).click();
  await host.locator('#run:not([hidden]) #join-code', { hasText: codes.plain }).waitFor();
  await host.locator('#reveal-hide').click();
  await p.locator('#results .results-head', { hasText: 'Runde 1 · 1 Stimme' }).waitFor();
  assert.match(await p.locator('#results').innerText(),
    /Ergebnisse erscheinen, sobald mindestens 3 Personen geantwortet haben \(Enthaltungen zählen nicht\)/);
});

test('a German scenario ("lang": "de") turns an English browser\'s participant page German', async () => {
  const p = await phone(ENGLISH);
  await p.goto(`${site.server.origin}/`);
  await p.locator('h1', { hasText: 'Join a session' }).waitFor();
  assert.equal(await htmlLang(p), 'en');
  await p.goto(`${site.server.origin}/j/${codes.german}`);
  await p.locator('#round-status[data-status="open"]').waitFor();
  assert.equal(await htmlLang(p), 'de');
  assert.equal(await p.locator('.stage-count').innerText(), 'Schritt 2 von 5');
  assert.equal(await p.locator('#send').innerText(), 'Stimme abgeben');
  assert.equal(await p.locator('#scenario-title').innerText(), 'Ein deutscher Fall');
  assert.equal(await p.locator('#leave').innerText(), 'Sitzung verlassen');
  // Out of the session, the page speaks the browser's language again.
  await p.click('#leave');
  await p.locator('h1', { hasText: 'Join a session' }).waitFor();
  assert.equal(await htmlLang(p), 'en');
});

test('a scenario language without a table ("fr-CA") leaves each browser its own language', async () => {
  for (const [options, send, lang] of [[ENGLISH, 'Send vote', 'en'], [GERMAN, 'Stimme abgeben', 'de']]) {
    const p = await phone(options);
    await p.goto(`${site.server.origin}/j/${codes.french}`);
    await p.locator('#round-status[data-status="open"]').waitFor();
    assert.equal(await p.locator('#send').innerText(), send);
    assert.equal(await htmlLang(p), lang);
  }
});

test('the projector follows the session\'s language, else the browser\'s', async () => {
  const wall = { viewport: { width: 1280, height: 720 } };
  const english = await phone({ ...wall, locale: 'en-US' });
  await english.goto(`${site.server.origin}/present/${codes.german}`);
  await english.locator('#present-status', { hasText: /^Abstimmung offen · \d+ Stimmen? eingegangen$/ }).waitFor();
  assert.equal(await htmlLang(english), 'de');
  assert.equal(await english.title(), 'Beamer · Roundtable');
  assert.equal(await english.locator('#theme').innerText(), 'Dunkles Design');
  assert.match(await english.locator('#join-hint').innerText(), new RegExp(`^Teilnehmen: .* · Code ${codes.german}$`));
  assert.match(await english.locator('#counts').innerText(), /^\d+ (Person|Personen) dabei$/);

  const german = await phone({ ...wall, locale: 'de-DE' });
  await german.goto(`${site.server.origin}/present/${codes.plain}`);
  await german.locator('#present-status', { hasText: /^Abstimmung offen/ }).waitFor();
  assert.equal(await htmlLang(german), 'de');
  const plain = await phone({ ...wall, locale: 'en-US' });
  await plain.goto(`${site.server.origin}/present/${codes.plain}`);
  await plain.locator('#present-status', { hasText: /^Voting open · \d+ ballots? in$/ }).waitFor();
  assert.equal(await htmlLang(plain), 'en');
  // The switch works here too, and the footer follows.
  await plain.selectOption('#lang-switch', 'de');
  await plain.locator('#present-status', { hasText: /^Abstimmung offen/ }).waitFor();
  assert.equal(await plain.locator('#theme').innerText(), 'Dunkles Design');
  assert.equal(await htmlLang(plain), 'de');
});

test('the language switch overrides the session\'s language, and a reload keeps the choice', async () => {
  const p = await phone(ENGLISH);
  await p.goto(`${site.server.origin}/j/${codes.german}`);
  await p.locator('#send', { hasText: 'Stimme abgeben' }).waitFor();
  await p.getByLabel('Decline', { exact: true }).check();

  await p.selectOption('#lang-switch', 'en');
  assert.equal(await htmlLang(p), 'en');
  assert.equal(await p.locator('.stage-count').innerText(), 'Step 2 of 5');
  assert.equal(await p.locator('#send').innerText(), 'Send vote');
  assert.equal(await p.locator('#round-status').innerText(), 'Voting is open · 0 voted so far');
  assert.equal(await p.locator('#conn').innerText(), 'Connected');
  assert.equal(await p.locator('#lang-switch').getAttribute('aria-label'), 'Language');

  await p.reload();
  await p.locator('#round-status[data-status="open"]').waitFor();
  assert.equal(await p.locator('#send').innerText(), 'Send vote');
  assert.equal(await htmlLang(p), 'en');

  await p.selectOption('#lang-switch', 'de');
  assert.equal(await p.locator('#send').innerText(), 'Stimme abgeben');
  assert.equal(await p.locator('h1#stage-title').innerText(), 'First reaction');
});

test('a German browser gets the console in German', async () => {
  const desk = await phone({ locale: 'de-DE' });
  await desk.goto(`${site.server.origin}/host`);
  await desk.locator('h1', { hasText: 'Moderationsschlüssel' }).waitFor();
  assert.equal(await htmlLang(desk), 'de');
  await desk.fill('#key', KEY);
  await desk.click('#key-form button[type="submit"]');
  await desk.locator('h1', { hasText: 'Einen Workshop beginnen' }).waitFor();
  assert.equal(await desk.locator('[data-scenario="german"] button.start').innerText(), '„Ein deutscher Fall“ starten');
  assert.equal(await desk.locator('[data-scenario="german"] .badge').innerText(), 'schreibgeschützt');
  // The template of a new case speaks German, the method's terms included, and says so in "lang".
  await desk.click('#new-case');
  await desk.locator('h1', { hasText: 'Neuer Fall' }).waitFor();
  assert.equal(await desk.locator('#ed-lang').inputValue(), 'de');
  const labels = await desk.locator('input[data-path^="stages[4].question.options"]').evaluateAll((els) => els.map((e) => e.value));
  assert.deepEqual(labels.map((l) => l.split(':')[0]), ['Respekt vor der Autonomie', 'Wohltun (Fürsorge)', 'Nichtschaden', 'Gerechtigkeit']);
});
