// The pages' language tables (facilitator/web/lang-*.js, used through i18n.js): every table has exactly the keys
// of English, with the same {parameters} and the plural forms its language needs; every key the participant page
// and the console look up is in the tables; t() fills parameters and picks plurals.
//
// Run from the repository root: node --test tests/schema/
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { TABLES, t, supported } from "../../facilitator/web/i18n.js";

const web = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "facilitator", "web");
const en = TABLES.en;
const others = Object.keys(TABLES).filter((l) => l !== "en");
const params = (v) => [...new Set(
  (typeof v === "object" ? Object.values(v) : [v]).flatMap((s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1])))].sort();

test("there is a second language to check", () => {
  assert.ok(others.includes("de"), `tables: ${Object.keys(TABLES)}`);
});

for (const lang of others) {
  const table = TABLES[lang];

  test(`${lang}: every English key is there, and no other`, () => {
    const missing = Object.keys(en).filter((k) => !Object.hasOwn(table, k));
    const extra = Object.keys(table).filter((k) => !Object.hasOwn(en, k));
    assert.deepEqual({ missing, extra }, { missing: [], extra: [] });
  });

  test(`${lang}: each string takes the same parameters as in English`, () => {
    const differ = Object.keys(en).filter((k) => Object.hasOwn(table, k)
      && JSON.stringify(params(en[k])) !== JSON.stringify(params(table[k])));
    assert.deepEqual(differ.map((k) => `${k}: ${params(en[k])} vs ${params(table[k])}`), []);
  });

  test(`${lang}: a plural in English is a plural here, with every form ${lang} needs`, () => {
    const needed = new Intl.PluralRules(lang).resolvedOptions().pluralCategories;
    for (const [k, v] of Object.entries(en)) {
      if (typeof v !== "object") {
        assert.equal(typeof table[k], "string", `${k} should be a string`);
        continue;
      }
      assert.equal(typeof table[k], "object", `${k} should be a plural`);
      for (const form of needed) assert.equal(typeof table[k][form], "string", `${k} lacks the form "${form}"`);
    }
  });
}

test("no string in any table is empty", () => {
  for (const [lang, table] of Object.entries(TABLES))
    for (const [k, v] of Object.entries(table))
      for (const s of typeof v === "object" ? Object.values(v) : [v]) assert.ok(s.trim(), `${lang} ${k} is empty`);
});

// The keys the pages name literally (t('key'), data-i18n="key") and the ones they build (t(`kind.${kind}`)).
test("every key the participant page and the console use is in the tables", () => {
  const files = readdirSync(web).filter((f) => /\.(js|html)$/.test(f) && !f.startsWith("lang-") && f !== "i18n.js");
  const used = new Set();
  const namespaces = new Set(Object.keys(en).map((k) => k.split(".")[0]));
  for (const f of files) {
    const text = readFileSync(join(web, f), "utf8");
    for (const m of text.matchAll(/\bt\('([a-z_.]+)'/g)) used.add(m[1]);
    for (const m of text.matchAll(/data-i18n="([a-z_.]+)"/g)) used.add(m[1]);
    // A key chosen by a condition (t(n > 1 ? 'a.b' : 'a.c')) or handed on (countdown(el, d, 'timer.left')).
    for (const m of text.matchAll(/'([a-z_]+\.[a-z_.]+)'/g)) if (namespaces.has(m[1].split(".")[0])) used.add(m[1]);
  }
  for (const state of ["connecting", "open", "waiting", "stopped"]) used.add(`conn.${state}`);
  for (const kind of ["case", "question", "discussion", "revote"]) used.add(`kind.${kind}`).add(`editor.kind.${kind}`);
  for (const status of ["open", "closed"]) used.add(`round.${status}`);
  for (const verb of ["start", "edit", "duplicate", "duplicate_edit", "download", "delete"]) used.add(`card.${verb}_named`);
  for (const noun of ["outcome", "option"]) used.add(`editor.${noun}`).add(`editor.${noun}_row`).add(`editor.${noun}_add`);
  for (const unit of ["points", "borda"]) used.add(`results.${unit}`).add(`results.${unit}_label`);
  assert.ok(used.size > 250, `only ${used.size} keys found: is the pattern still right?`);
  assert.deepEqual([...used].filter((k) => !Object.hasOwn(en, k)), []);
});

test("every error code of the protocol has its text", () => {
  const codes = ["bad_json", "bad_message", "too_large", "unauthorized", "not_joined", "unknown_code", "unknown_scenario",
    "unknown_stage", "unknown_question", "unknown_perspective", "voting_closed", "invalid_ballot", "rate_limited",
    "session_ended", "internal", "invalid_scenario", "read_only_scenario", "disconnected", "timeout"];
  assert.deepEqual(codes.filter((c) => !Object.hasOwn(en, `error.${c}`)), []);
});

test("t() fills parameters, picks the plural by n, and shows a missing key as itself", () => {
  assert.equal(t("stage.step", { n: 2, count: 9 }), "Step 2 of 9");
  assert.equal(t("count.ballots", { n: 1 }), "1 ballot");
  assert.equal(t("count.ballots", { n: 0 }), "0 ballots");
  assert.equal(t("no.such.key"), "no.such.key");
});

test("a BCP 47 tag finds its table by its language", () => {
  assert.equal(supported("de-AT"), "de");
  assert.equal(supported("EN-gb"), "en");
  assert.equal(supported("fr"), null);
  assert.equal(supported(undefined), null);
});
