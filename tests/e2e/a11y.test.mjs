// Accessibility of the three pages (issue 15 item 10): axe-core finds no serious or critical violation on the
// participant page (join form, a question, results), the console (the running session, before and after
// results) or the projector (waiting, a question, results); only small status elements are live regions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, PHONE, axeProblems } from './harness.mjs';
import { Client, token } from '../conformance/harness.mjs';

const KEY = 'e2e-key-a11y-0123456789abcdef';
const LAPTOP = { viewport: { width: 1366, height: 900 } };
const PROJECTOR = { viewport: { width: 1920, height: 1080 } };
const clients = [];
const site = useServerAndBrowser({ key: KEY }, {
  cleanup: async () => {
    for (const c of clients) c.close();
  },
});

async function check(page, where) {
  assert.deepEqual(await axeProblems(page), [], `${where}: serious or critical accessibility violations`);
  // A live region is a small status line: never one holding headings, paragraphs, lists or tables.
  const big = await page.evaluate(() => [...document.querySelectorAll('[aria-live], [role="status"], [role="alert"], [role="log"]')]
    .filter((el) => el.querySelector('p, ul, ol, table, h1, h2, h3, section, article'))
    .map((el) => el.id || el.className || el.tagName));
  assert.deepEqual(big, [], `${where}: live regions that re-read whole regions`);
}

test('participant page, console and projector pass axe in their main states', { timeout: 120000 }, async () => {
  const { origin } = site.server;
  const { page } = site;
  const host = await page(LAPTOP);
  await host.goto(`${origin}/host#key=${KEY}`);
  await host.locator('[data-scenario="demo"] button.start').waitFor();
  await host.click('[data-scenario="demo"] button.start');
  const code = (await host.locator('#join-code').innerText()).trim();
  await check(host, 'console, session view');

  const proj = await page(PROJECTOR);
  await proj.goto(`${origin}/present/${code}`);
  await proj.locator('#present-code').waitFor();
  await check(proj, 'projector, waiting');

  const phone = await page(PHONE);
  await phone.goto(`${origin}/`);
  await phone.locator('#join-form').waitFor();
  await check(phone, 'participant, join form');
  await phone.fill('#code', code);
  await phone.press('#code', 'Enter');
  await phone.locator('#stage-title', { hasText: 'The case' }).waitFor();
  // Two more on the wire, so results reach the threshold of 3.
  const others = [];
  for (let i = 0; i < 2; i++) {
    const c = await Client.connect({ ws: `${origin.replace(/^http/, 'ws')}/ws` });
    clients.push(c);
    await c.ok({ type: 'join', code, token: token() });
    others.push(c);
  }

  await host.click('#next');
  await host.locator('#host-stage-title', { hasText: 'First reaction' }).waitFor();
  await host.click('#open-close');
  await phone.locator('#round-status[data-status="open"]').waitFor();
  await proj.locator('#present-status', { hasText: 'Voting open' }).waitFor();
  await check(phone, 'participant, a question');
  await check(proj, 'projector, a question');
  await phone.getByLabel('Refer', { exact: true }).check();
  await phone.click('#send');
  await phone.locator('#ack[data-kind="ok"]').waitFor();
  for (const c of others) await c.ok({ type: 'vote', question: 'gut', ballot: { choice: 'decline' } });
  await host.locator('#round-info', { hasText: '3 ballots in' }).waitFor();
  await check(phone, 'participant, voted');

  await host.click('#open-close');
  await host.locator('#preview .results:not(.suppressed)').waitFor();
  await host.click('#reveal-hide');
  await phone.locator('#results .results[data-question="gut"]').waitFor();
  await proj.locator('.present-results .results[data-question="gut"]').waitFor();
  // The new results are announced once, by their heading, through the page's one small live region.
  await phone.locator('#announce', { hasText: 'Results: Round 1 · 3 ballots' }).waitFor();
  await check(phone, 'participant, results');
  await check(host, 'console, results');
  await check(proj, 'projector, results');

  // In German (issue 15 item 11): <html lang> says the language the page speaks, and the pages still pass.
  const de = { ...PHONE, locale: 'de-DE' };
  const dePhone = await page(de);
  await dePhone.goto(`${origin}/j/${code}`);
  await dePhone.locator('#results .results[data-question="gut"]').waitFor();
  assert.equal(await dePhone.evaluate(() => document.documentElement.lang), 'de');
  await dePhone.locator('#announce', { hasText: 'Ergebnisse: Runde 1 · 3 Stimmen' }).waitFor();
  await check(dePhone, 'participant in German, results');
  const deProj = await page({ ...PROJECTOR, locale: 'de-DE' });
  await deProj.goto(`${origin}/present/${code}`);
  await deProj.locator('.present-results .results[data-question="gut"]').waitFor();
  assert.equal(await deProj.evaluate(() => document.documentElement.lang), 'de');
  await check(deProj, 'projector in German, results');
  const deHost = await page({ ...LAPTOP, locale: 'de-DE' });
  await deHost.goto(`${origin}/host#key=${KEY}`);
  await deHost.locator('#run:not([hidden]) #join-code, #home:not([hidden])').first().waitFor();
  assert.equal(await deHost.evaluate(() => document.documentElement.lang), 'de');
  await check(deHost, 'console in German');
  // The switch is a labelled control: English again, and <html lang> follows.
  await dePhone.selectOption('#lang-switch', 'en');
  assert.equal(await dePhone.evaluate(() => document.documentElement.lang), 'en');
  await check(dePhone, 'participant switched to English');
});
