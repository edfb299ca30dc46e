// The projector (issue 15 item 9) in Chromium, with the session driven on the wire: how many joined, live
// bars that change width on the same elements, what the agreement means, a re-vote drawn over the round
// before (also after a reload), full screen by key, the dark theme from the system or the toggle, and no
// animation for whoever asked for less motion. Every state passes axe with no serious violation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join as joinPath } from 'node:path';
import { useServerAndBrowser, axeProblems, contrastProblems, ensureOutDir } from './harness.mjs';
import { Client, token } from '../conformance/harness.mjs';

const KEY = 'e2e-key-projector-0123456789';
const PROJECTOR = { viewport: { width: 1920, height: 1080 }, colorScheme: 'light' };
const clients = [];
const site = useServerAndBrowser({ key: KEY }, {
  cleanup: async () => {
    for (const c of clients) c.close();
  },
});

async function connect() {
  const c = await Client.connect({ ws: `${site.server.origin.replace(/^http/, 'ws')}/ws` });
  clients.push(c);
  return c;
}

/** A live session of the demo (tallies pushed while voting is open) and three participants on the wire. */
async function liveSession() {
  const f = await connect();
  await f.ok({ type: 'host', key: KEY });
  const { code } = await f.ok({ type: 'start', scenario: 'demo', options: { min_group: 3, live: true } });
  return { f, code };
}

async function join(code, n) {
  const people = [];
  for (let i = 0; i < n; i++) {
    const p = await connect();
    await p.ok({ type: 'join', code, token: token() });
    people.push(p);
  }
  return people;
}

async function projector(code, options = {}) {
  const page = await site.page({ ...PROJECTOR, ...options });
  await page.goto(`${site.server.origin}/present/${code}`);
  await page.locator('#present-title').waitFor();
  return page;
}

async function accessible(page, state) {
  assert.deepEqual(await axeProblems(page), [], `projector, ${state}: serious accessibility violations`);
  assert.deepEqual(await contrastProblems(page), [], `projector, ${state}: text below WCAG AA contrast`);
}

const vote = (people, choices) => Promise.all(people.map((p, i) => p.ok({ type: 'vote', question: 'gut', ballot: { choice: choices[i] } })));
const fill = (page, option, which = ':not(.before)') => page.locator(`.bar-row[data-option="${option}"] .fill${which}`);
const width = (loc) => loc.evaluate((el) => el.style.width);

test('the projector counts who joined, moves its bars in place and explains the agreement', async () => {
  const { f, code } = await liveSession();
  const proj = await projector(code);
  await proj.locator('#counts', { hasText: '0 joined' }).waitFor();
  const people = await join(code, 3);
  await proj.locator('#present-joined', { hasText: '3 joined' }).waitFor();
  await proj.locator('#counts', { hasText: '3 joined' }).waitFor();
  await accessible(proj, 'waiting');

  await f.ok({ type: 'goto', code, stage: 'gut' });
  await f.ok({ type: 'open', code, question: 'gut' });
  await proj.locator('#present-status', { hasText: 'Voting open · 0 ballots in' }).waitFor();
  await accessible(proj, 'a question');

  await vote(people, ['decline', 'decline', 'conditions']);
  await proj.locator('.bar-row[data-option="decline"] .bar-value', { hasText: '2 · 67%' }).waitFor();
  // Handles on the elements now shown: a later push must change them, not replace them.
  const bar = await fill(proj, 'decline').elementHandle();
  const status = await proj.locator('#present-status').elementHandle();
  assert.equal(await width(fill(proj, 'decline')), '67%');
  assert.match(await bar.evaluate((el) => getComputedStyle(el).transitionProperty), /width/);
  assert.notEqual(await bar.evaluate((el) => getComputedStyle(el).transitionDuration), '0s');

  await vote(people, ['refer', 'refer', 'refer']);
  await proj.locator('.bar-row[data-option="refer"] .bar-value', { hasText: '3 · 100%' }).waitFor();
  assert.ok(await bar.evaluate((el) => el.isConnected), 'the bar is the same element, updated in place');
  assert.equal(await bar.evaluate((el) => el.style.width), '0%');
  assert.ok(await status.evaluate((el) => el.isConnected && el.textContent.includes('3 ballots in')), 'the status line too');
  // Only small status elements are live regions: never the region that holds the chart.
  assert.deepEqual(await proj.evaluate(() => [...document.querySelectorAll('[aria-live], [role="status"], [role="alert"]')]
    .filter((el) => el.querySelector('p, ul, table, h1, h2')).map((el) => el.id || el.tagName)), []);
  await proj.locator('.majority', { hasText: 'Majority: “Refer”, 100%.' }).waitFor();
  assert.match(await proj.locator('.agreement-note').innerText(),
    /Agreement 100%: 100% if everyone gives the same answer, 0% if the answers are spread evenly over all 3 options\./);
  await f.ok({ type: 'close', code, question: 'gut' });
  await f.ok({ type: 'reveal', code, question: 'gut' });
  await accessible(proj, 'results');

  // The re-vote: round 2 over round 1's faded bars; the table of moves stays for screen readers.
  await f.ok({ type: 'goto', code, stage: 'gut-again' });
  await f.ok({ type: 'open', code, question: 'gut' });
  await vote(people, ['decline', 'refer', 'refer']);
  await f.ok({ type: 'close', code, question: 'gut' });
  await f.ok({ type: 'reveal', code, question: 'gut' });
  await proj.locator('.bar-row[data-option="refer"] .bar-value', { hasText: '2 · 67% (was 100%)' }).waitFor();
  assert.equal(await width(fill(proj, 'refer', '.before')), '100%');
  assert.equal(await width(fill(proj, 'refer')), '67%');
  assert.equal(await width(fill(proj, 'decline', '.before')), '0%');
  assert.equal((await proj.locator('.before-legend').innerText()).trim(), 'Faded: round 1 · solid: round 2');
  await proj.locator('table.shift caption', { hasText: 'Moves between rounds' }).waitFor();
  await accessible(proj, 'a re-vote');
  // Reloaded, the projector has not seen round 1: the faded bars come from the shift, and say so.
  await proj.reload();
  await proj.locator('.before-legend', { hasText: 'Faded: round 1, of the 3 who voted both times · solid: round 2' }).waitFor();
  assert.equal(await width(fill(proj, 'refer', '.before')), '100%');
  assert.equal(await proj.locator('#counts').innerText(), '3 joined');
});

test('the projector goes full screen with F and its button, and back', async () => {
  const { code } = await liveSession();
  const proj = await projector(code);
  const button = proj.locator('#fullscreen');
  assert.equal(await button.innerText(), 'Full screen (F)');
  await proj.keyboard.press('f');
  await proj.waitForFunction(() => document.fullscreenElement === document.documentElement);
  await proj.locator('#fullscreen', { hasText: 'Leave full screen (F)' }).waitFor();
  await proj.keyboard.press('f');
  await proj.waitForFunction(() => document.fullscreenElement === null);
  await button.click();
  await proj.waitForFunction(() => document.fullscreenElement !== null);
  await button.click();
  await proj.locator('#fullscreen', { hasText: 'Full screen (F)' }).waitFor();
  // With a modifier, F belongs to the browser (Ctrl+F: find).
  await proj.keyboard.press('Control+f');
  assert.equal(await proj.evaluate(() => document.fullscreenElement), null);
});

test('the dark theme follows the system until the toggle picks one, and stays readable', async () => {
  const { f, code } = await liveSession();
  const people = await join(code, 3);
  const proj = await projector(code, { colorScheme: 'dark' });
  const background = () => proj.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(await proj.evaluate(() => document.body.dataset.theme), 'dark');
  assert.equal(await background(), 'rgb(0, 0, 0)');
  assert.equal(await proj.getAttribute('#theme', 'aria-pressed'), 'true');
  await accessible(proj, 'dark, waiting');
  await f.ok({ type: 'goto', code, stage: 'models' });
  await f.ok({ type: 'open', code, question: 'models' });
  await Promise.all(people.map((p, i) => p.ok({ type: 'vote', question: 'models', ballot: { outcomes: {
    guidelines: 'refer', stakeholder: i ? 'refer' : 'decline', utilitarian: 'conditions', virtue: ['decline', 'refer', 'conditions'][i] } } })));
  await f.ok({ type: 'close', code, question: 'models' });
  await proj.locator('table.heatmap td.heat').first().waitFor();
  assert.match(await proj.locator('.agreement-note').innerText(), /Agreement \(last column\): 100% if everyone chose the same outcome/);
  await accessible(proj, 'dark, model grid');
  await proj.screenshot({ path: joinPath(ensureOutDir(), 'present-dark.png') });

  await proj.click('#theme');
  assert.equal(await background(), 'rgb(255, 255, 255)');
  assert.equal(await proj.getAttribute('#theme', 'aria-pressed'), 'false');
  await proj.reload();
  await proj.locator('#present-title').waitFor();
  assert.equal(await proj.evaluate(() => document.body.dataset.theme), 'light', 'the choice outlives a reload');
  await accessible(proj, 'light, model grid');
});

test('with reduced motion asked for, bars do not animate', async () => {
  const { f, code } = await liveSession();
  const people = await join(code, 3);
  const proj = await projector(code, { reducedMotion: 'reduce' });
  await f.ok({ type: 'goto', code, stage: 'gut' });
  await f.ok({ type: 'open', code, question: 'gut' });
  await vote(people, ['decline', 'conditions', 'refer']);
  await fill(proj, 'decline').waitFor();
  assert.equal(await fill(proj, 'decline').evaluate((el) => getComputedStyle(el).transitionDuration), '0s');
});
