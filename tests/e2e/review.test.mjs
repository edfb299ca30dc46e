// The console's review of an ended session and its printable report: read-only, with the same thresholds as
// the live views, the report on A4 without cut-off charts and without a request beyond the page itself,
// and a purge that asks first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useServerAndBrowser, ensureOutDir } from './harness.mjs';
import { Client, token } from '../conformance/harness.mjs';

const KEY = 'e2e-key-review-0123456789';
const HOSTILE = '"><script>window.pwned = 1</script>';
let code;
const site = useServerAndBrowser({ key: KEY }, { setup: () => runWorkshop() });

/** A finished workshop on the wire: gut twice (one moved), sure below the threshold, three perspectives. */
async function runWorkshop() {
  const at = { ws: `${site.server.origin.replace(/^http/, 'ws')}/ws` };
  const f = await Client.connect(at);
  await f.ok({ type: 'host', key: KEY });
  code = (await f.ok({ type: 'start', scenario: 'demo', options: { min_group: 3 } })).code;
  const people = [];
  for (let i = 0; i < 3; i++) {
    const p = await Client.connect(at);
    await p.ok({ type: 'join', code, token: token() });
    people.push(p);
  }
  const round = async (question, ballot) => {
    await f.ok({ type: 'open', code, question });
    for (let i = 0; i < people.length; i++) {
      const b = ballot(i);
      if (b) await people[i].ok({ type: 'vote', question, ballot: b });
    }
    await f.ok({ type: 'close', code, question });
  };
  await round('gut', () => ({ choice: 'decline' }));
  await round('gut', (i) => ({ choice: i === 0 ? 'refer' : 'decline' }));
  await round('sure', (i) => (i === 0 ? { value: 4 } : null));
  await round('principles', () => ({ points: { autonomy: 4, beneficence: 3, non_maleficence: 2, justice: 1 } }));
  await round('principles', () => ({ points: { autonomy: 1, beneficence: 2, non_maleficence: 3, justice: 4 } }));
  await round('models', (i) => ({ outcomes: { guidelines: 'refer', stakeholder: i ? 'refer' : 'decline',
    utilitarian: 'conditions', virtue: 'decline' } }));
  await f.ok({ type: 'open', code, question: 'voices' });
  const texts = [HOSTILE, 'Trust first.', 'Hidden one.'];
  for (let i = 0; i < 3; i++) await people[i].ok({ type: 'perspective', question: 'voices', text: texts[i] });
  const items = (await f.waitFor((m) => m.type === 'perspectives' && m.items.length === 3)).items;
  for (const it of items.filter((x) => x.text !== 'Hidden one.'))
    await f.ok({ type: 'moderate', code, perspective: it.id, action: 'show' });
  await f.ok({ type: 'end', code });
  for (const c of [f, ...people]) c.close();
}

test('console: an ended session opens as a read-only review with the report', async () => {
  const ctx = await site.context({ acceptDownloads: true });
  const page = await ctx.newPage();
  await page.goto(`${site.server.origin}/host#key=${KEY}`);
  await page.locator('#sessions li', { hasText: code }).getByRole('button', { name: 'Review' }).click();
  const review = page.locator('#review');
  await review.locator('section[data-question="gut"]').waitFor();
  const gut = await review.locator('section[data-question="gut"]').innerText();
  assert.match(gut, /Round 1/);
  assert.match(gut, /1 of 3 who voted both times changed their answer/);
  // One answer on "sure": held back, as live.
  assert.match(await review.locator('section[data-question="sure"]').innerText(), /at least 3 people/);
  const voices = await review.locator('section[data-question="voices"]').innerText();
  assert.ok(voices.includes(HOSTILE), 'the hostile perspective shows as text');
  assert.ok(voices.includes('Trust first.'));
  assert.ok(!voices.includes('Hidden one.'), 'a hidden perspective is not in the review');
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.match(await review.locator('section[data-question="models"]').innerText(), /Agreement per model: Ethical Guidelines Model 100%/);
  // A points re-vote carries its shift (issue 11): the review shows the points each option gained or lost among
  // the three who answered both rounds (4 -> 1 each on autonomy: 9 points in all).
  assert.match(await review.locator('section[data-question="principles"] table.shift').innerText(),
    /Autonomy\s+−9\b/);
  assert.match(await review.locator('section[data-question="principles"] .shift-summary').innerText(),
    /of 3 who voted both times/);
  // Read-only: nothing to open, close, reveal or moderate.
  assert.equal(await review.locator('#open-close, #reveal-hide, .mod button').count(), 0);

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#review-report')]);
  const saved = readFileSync(await download.path(), 'utf8');
  assert.ok(saved.startsWith('<!doctype html>'));
  assert.ok(saved.includes('&quot;&gt;&lt;script&gt;'), 'the report escapes the perspective');
  await page.screenshot({ path: join(ensureOutDir(), 'review.png'), fullPage: true });
  await ctx.close();
});

test('report: one self-contained page that prints on A4 without cut-off charts', async () => {
  const ctx = await site.context({ extraHTTPHeaders: { Authorization: `Bearer ${KEY}` } });
  const page = await ctx.newPage();
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  const url = `${site.server.origin}/api/sessions/${code}/report.html`;
  const res = await page.goto(url);
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-security-policy'], /^default-src 'none'/);
  await page.emulateMedia({ media: 'print' });
  // A4 is 210 mm wide; @page leaves 15 mm each side: 180 mm = 680 CSS px.
  await page.setViewportSize({ width: 680, height: 1000 });
  const charts = await page.locator('svg.chart').evaluateAll((svgs) => svgs.map((s) => {
    const box = s.getBoundingClientRect();
    return { left: box.left, right: box.right, width: box.width,
      breakInside: getComputedStyle(s.closest('figure')).breakInside };
  }));
  assert.ok(charts.length >= 2, `charts drawn: ${charts.length}`);
  for (const c of charts) {
    assert.ok(c.left >= 0 && c.right <= 680, `a chart runs off the printable width: ${JSON.stringify(c)}`);
    assert.equal(c.breakInside, 'avoid');
  }
  await page.screenshot({ path: join(ensureOutDir(), 'report.png'), fullPage: true });
  const pdf = await page.pdf({ format: 'A4' });
  assert.equal(pdf.subarray(0, 4).toString(), '%PDF');
  assert.deepEqual(requests, [url], 'the report asked for nothing but itself');
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  await ctx.close();
});

test('console: purging an ended session asks first, then it is gone', async () => {
  const ctx = await site.context();
  const page = await ctx.newPage();
  await page.goto(`${site.server.origin}/host#key=${KEY}`);
  await page.locator('#sessions li', { hasText: code }).getByRole('button', { name: 'Review' }).click();
  await page.click('#review-purge');
  // Asked, not done: cancel keeps it.
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.locator('#review-purge').waitFor();
  await page.click('#review-purge');
  await page.click('#review-purge-confirm');
  await page.locator('#home').waitFor();
  assert.equal(await page.locator('#sessions li', { hasText: code }).count(), 0);
  const gone = await page.evaluate(async ([c, k]) => (await fetch(`/api/sessions/${c}/report.html`,
    { headers: { Authorization: `Bearer ${k}` } })).status, [code, KEY]);
  assert.equal(gone, 404);
  await ctx.close();
});
