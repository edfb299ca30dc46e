// The pages in German (issue 15 item 11): a German browser gets the participant page and the console in German,
// a scenario with "lang": "de" turns an English browser's participant page German, and the language switch
// overrides both (remembered across a reload). The console runs in English here, as its browser is English.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launchBrowser, newContext, root } from './harness.mjs';

const KEY = 'e2e-key-i18n-0123456789';
const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true };
const GERMAN = { ...PHONE, locale: 'de-DE' };
const ENGLISH = { ...PHONE, locale: 'en-US' };
let server;
let browser;
let host;
let folder;
const codes = {};
const watch = { foreign: [], errors: [] };

// Two cases from one fixture: "plain" says no language, "german" says "de".
function writeCases() {
  folder = mkdtempSync(join(tmpdir(), 'roundtable-i18n-'));
  const base = JSON.parse(readFileSync(join(root, 'tests/fixtures/server/passes.json'), 'utf8'));
  writeFileSync(join(folder, 'plain.json'), JSON.stringify({ ...base, id: 'plain', title: 'Plain case' }));
  writeFileSync(join(folder, 'german.json'), JSON.stringify({ ...base, id: 'german', lang: 'de', title: 'Ein deutscher Fall' }));
}

// Starts the case on the (English) console, goes to its first question and opens voting; returns the code.
async function startAndOpen(id) {
  await host.click(`[data-scenario="${id}"] button.start`);
  const code = (await host.locator('#join-code').innerText()).trim();
  await host.click('#next');
  await host.locator('#host-stage-title', { hasText: 'First reaction' }).waitFor();
  await host.click('#open-close');
  await host.locator('#round-info', { hasText: 'open' }).waitFor();
  return code;
}

before(async () => {
  writeCases();
  server = await startServer({ key: KEY, scenarios: folder });
  browser = await launchBrowser();
  host = await (await newContext(browser, server.origin, { locale: 'en-US' }, watch)).newPage();
  await host.goto(`${server.origin}/host#key=${KEY}`);
  codes.plain = await startAndOpen('plain');
  await host.getByRole('button', { name: 'Back to the scenario list' }).click();
  codes.german = await startAndOpen('german');
});

after(async () => {
  assert.deepEqual(watch.foreign, [], 'requests left the server');
  assert.deepEqual(watch.errors, [], 'page errors');
  if (browser) await browser.close();
  if (server) await server.stop();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

async function phone(options) {
  return (await newContext(browser, server.origin, options, watch)).newPage();
}

const htmlLang = (p) => p.evaluate(() => document.documentElement.lang);

test('a German browser sees the participant page in German, errors and question controls included', async () => {
  const p = await phone(GERMAN);
  await p.goto(`${server.origin}/`);
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
  await host.getByRole('button', { name: 'Back to the scenario list' }).click();
  await host.locator('#sessions li', { hasText: codes.plain }).getByRole('button', { name: 'Resume' }).click();
  await host.locator('#reveal-hide').click();
  await p.locator('#results .results-head', { hasText: 'Runde 1 · 1 Stimme' }).waitFor();
  assert.match(await p.locator('#results').innerText(),
    /Ergebnisse erscheinen, sobald mindestens 3 Personen geantwortet haben \(Enthaltungen zählen nicht\)/);
});

test('a German scenario ("lang": "de") turns an English browser\'s participant page German', async () => {
  const p = await phone(ENGLISH);
  await p.goto(`${server.origin}/`);
  await p.locator('h1', { hasText: 'Join a session' }).waitFor();
  assert.equal(await htmlLang(p), 'en');
  await p.goto(`${server.origin}/j/${codes.german}`);
  await p.locator('#round-status[data-status="open"]').waitFor();
  assert.equal(await htmlLang(p), 'de');
  assert.equal(await p.locator('.stage-count').innerText(), 'Schritt 2 von 5');
  assert.equal(await p.locator('#send').innerText(), 'Stimme abgeben');
  assert.equal(await p.locator('#scenario-title').innerText(), 'Ein deutscher Fall');
  assert.equal(await p.locator('#leave').innerText(), 'Sitzung verlassen');
});

test('the language switch overrides the session\'s language, and a reload keeps the choice', async () => {
  const p = await phone(ENGLISH);
  await p.goto(`${server.origin}/j/${codes.german}`);
  await p.locator('#send', { hasText: 'Stimme abgeben' }).waitFor();
  await p.getByLabel('Decline', { exact: true }).check();

  await p.selectOption('#lang-switch', 'en');
  assert.equal(await htmlLang(p), 'en');
  assert.equal(await p.locator('.stage-count').innerText(), 'Step 2 of 5');
  assert.equal(await p.locator('#send').innerText(), 'Send vote');
  assert.equal(await p.locator('#round-status').innerText(), 'Voting is open');
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
  await desk.goto(`${server.origin}/host`);
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
