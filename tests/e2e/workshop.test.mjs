// A whole workshop in a real browser: the console starts the demo scenario, five phone-sized participant
// pages join by code and vote in every question type, one reloads mid-session, results are revealed and
// shown on the projector. No page may request anything outside the server, and no participant may ever
// receive results before they are revealed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useServerAndBrowser, ensureOutDir, root, contrastProblems } from './harness.mjs';

const KEY = 'e2e-key-0123456789abcdef';
const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 };
const LAPTOP = { viewport: { width: 1366, height: 900 } };
const PROJECTOR = { viewport: { width: 1920, height: 1080 } };

const site = useServerAndBrowser({ key: KEY });
const out = ensureOutDir();

// Every `results` and discussion result a participant page receives, checked against what was revealed.
const revealed = new Set();
const leaks = [];
function guardResults(page, who) {
  page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => {
    let m;
    try { m = JSON.parse(payload); } catch { return; }
    const check = (q, r) => {
      if (r && r.tally && !revealed.has(`${q}/${r.round}`)) leaks.push(`${who}: ${q} round ${r.round}`);
    };
    if (m.type === 'results') check(m.question, m);
    const stage = m.type === 'stage' ? m.stage : m.type === 'joined' ? m.session.stage : null;
    for (const [q, r] of Object.entries((stage && stage.results) || {})) check(q, r);
  }));
}

// Every form control and button has a name a screen reader can read out.
async function readable(page) {
  assert.deepEqual(await contrastProblems(page), [], `${page.url()}: text below WCAG AA contrast`);
}

async function allLabelled(page) {
  const unnamed = await page.evaluate(() => [...document.querySelectorAll('input, textarea, select, button')]
    .filter((el) => !el.closest('[hidden]'))
    .filter((el) => !((el.labels && el.labels.length) || el.getAttribute('aria-label') || (el.tagName === 'BUTTON' && el.textContent.trim())))
    .map((el) => el.outerHTML.slice(0, 120)));
  assert.deepEqual(unnamed, [], `${page.url()}: controls without a label`);
}

async function noHorizontalScroll(page, width) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(w <= width, `${page.url()} is ${w}px wide at ${width}px`);
}

test('console, five participants and the projector run the demo scenario', { timeout: 240000 }, async () => {
  const { origin } = site.server;
  const hostCtx = await site.context(LAPTOP);
  const host = await hostCtx.newPage();

  // The console: key from the hash, kept off the address bar.
  await host.goto(`${origin}/host#key=${KEY}`);
  await host.locator('[data-scenario="demo"] button.start').waitFor();
  assert.equal(new URL(host.url()).hash, '', 'the key stays out of the address bar');
  assert.match(await host.locator('[data-scenario="demo"]').innerText(), /Every question type/);
  await host.click('[data-scenario="demo"] button.start');
  const code = (await host.locator('#join-code').innerText()).trim();
  assert.match(code, /^\d{6}$/);
  assert.equal(await host.inputValue('#join-link'), `${origin}/j/${code}`);
  const qr = await host.locator('img.qr').evaluate((img) => img.complete && img.naturalWidth > 0);
  assert.ok(qr, 'the QR code image loads');

  // The projector, waiting: the code and the QR code.
  const projCtx = await site.context(PROJECTOR);
  const proj = await projCtx.newPage();
  await proj.goto(`${origin}/present/${code}`);
  await proj.locator('#present-title').waitFor();
  assert.equal((await proj.locator('#present-code').innerText()).trim(), code);
  await proj.screenshot({ path: join(out, 'present-waiting.png') });

  // Five phones: four type the code on /, one follows the QR link.
  const people = [];
  for (let i = 0; i < 5; i++) {
    const ctx = await site.context(PHONE);
    const p = await ctx.newPage();
    guardResults(p, `participant ${i}`);
    if (i < 4) {
      await p.goto(`${origin}/`);
      assert.equal(await p.getAttribute('#code', 'inputmode'), 'numeric');
      await p.fill('#code', code);
      await p.press('#code', 'Enter');
    } else {
      await p.goto(`${origin}/j/${code}`);
    }
    await p.locator('#stage-title', { hasText: 'The case' }).waitFor();
    people.push(p);
  }
  await host.locator('#participants', { hasText: '5 participants' }).waitFor();
  await people[0].locator('#stage', { hasText: 'A client asks for something hard.' }).waitFor();

  const all = (f) => Promise.all(people.map((p, i) => f(p, i)));
  const hostStage = (title) => host.locator('#host-stage-title', { hasText: title }).waitFor();
  const atStage = (title) => all((p) => p.locator('#stage-title', { hasText: title }).waitFor());
  const openedFor = () => all((p) => p.locator('#round-status[data-status="open"]').waitFor());
  const send = async (p) => {
    await p.click('#send');
    await p.locator('#ack[data-kind="ok"]', { hasText: 'Vote recorded' }).waitFor();
  };
  const ballotsIn = (n) => host.locator('#round-info', { hasText: `${n} ballots in` }).waitFor();
  // Close, check nothing reached the phones, reveal, and wait for the results on every page.
  const closeAndReveal = async (q, round = 1) => {
    await host.click('#open-close');
    await host.locator('#round-info', { hasText: `Round ${round} · closed` }).waitFor();
    await host.locator('#preview .results:not(.suppressed)').waitFor();
    for (const p of people) assert.equal(await p.locator('#results .results').count(), 0, 'no results before reveal');
    revealed.add(`${q}/${round}`);
    await host.click('#reveal-hide');
    await host.locator('#round-info', { hasText: 'revealed' }).waitFor();
    await all((p) => p.locator(`#results .results[data-question="${q}"]`).waitFor());
    await proj.locator(`.present-results .results[data-question="${q}"]`).waitFor();
  };

  // 1. gut: single choice, by keyboard (N, O); one participant changes its vote.
  await host.locator('#next').focus();
  await host.keyboard.press('n');
  await hostStage('First reaction');
  await atStage('First reaction');
  await host.keyboard.press('o');
  await openedFor();
  const gut = ['Decline', 'Accept with conditions', 'Refer', 'Decline', 'Accept with conditions'];
  await all(async (p, i) => {
    await p.getByLabel(gut[i], { exact: true }).check();
    await send(p);
  });
  await people[0].getByLabel('Refer', { exact: true }).check();
  await people[0].locator('#ack[data-kind="pending"]').waitFor();
  await send(people[0]);
  await ballotsIn(5);
  await proj.locator('#present-status', { hasText: '5 ballots in' }).waitFor();
  await people[1].screenshot({ path: join(out, 'participant-vote.png'), fullPage: true });
  await allLabelled(people[1]);
  await allLabelled(host);
  await readable(people[1]);
  await readable(host);

  // A participant reloads mid-session: its recorded vote is shown again.
  await people[2].reload();
  await people[2].locator('#ack[data-kind="ok"]', { hasText: 'Vote recorded' }).waitFor();
  assert.ok(await people[2].getByLabel('Refer', { exact: true }).isChecked());
  await closeAndReveal('gut');
  const bars = await people[3].locator('#results .bar-row').allInnerTexts();
  assert.deepEqual(bars.map((b) => b.replace(/\s+/g, ' ').trim()),
    ['Decline 1 · 20%', 'Accept with conditions 2 · 40%', 'Refer 2 · 40%']);
  await noHorizontalScroll(people[3], 360);
  // The projector says what 20/40/40 means: no majority, and what the agreement's two ends are.
  assert.equal(await proj.locator('.majority').innerText(), 'No majority: “Accept with conditions” and “Refer” have 40% each.');
  assert.match(await proj.locator('.agreement-note').innerText(), /Agreement 4%: 100% if everyone gives the same answer, 0% if the answers are spread evenly over all 3 options/);
  assert.equal(await proj.locator('#counts').innerText(), '5 joined');
  await people[3].screenshot({ path: join(out, 'participant-results.png'), fullPage: true });
  await proj.screenshot({ path: join(out, 'present-results.png') });
  // R hides the results from the room again, and R shows them again.
  await host.keyboard.press('r');
  await host.locator('#round-info', { hasText: 'hidden from the room' }).waitFor();
  await all((p) => p.locator('#results .results').waitFor({ state: 'detached' }));
  await proj.locator('.present-results').waitFor({ state: 'detached' });
  await host.keyboard.press('r');
  await all((p) => p.locator('#results .results[data-question="gut"]').waitFor());
  await proj.locator('.present-results .results[data-question="gut"]').waitFor();

  // 2. feel: multiple choice, at most two.
  await host.click('#next');
  await atStage('Feelings');
  await host.click('#open-close');
  await openedFor();
  await all(async (p, i) => {
    await p.getByLabel('Confusion').check();
    await p.getByLabel(i % 2 ? 'Anxiety' : 'Empowerment').check();
    assert.ok(await p.getByLabel(i % 2 ? 'Empowerment' : 'Anxiety').isDisabled(), 'a third choice is refused');
    await send(p);
  });
  await ballotsIn(5);
  await closeAndReveal('feel');

  // 3. sure: a scale, with a timer on the round.
  await host.click('#next');
  await atStage('Confidence');
  await host.fill('#timer-seconds', '120');
  await host.click('#open-close');
  await openedFor();
  await people[0].locator('#timer', { hasText: /Time left \d:\d\d/ }).waitFor();
  await proj.locator('#present-timer', { hasText: /Time left \d:\d\d/ }).waitFor();
  await all(async (p, i) => {
    await p.getByLabel(String(1 + i), { exact: true }).check();
    await send(p);
  });
  await ballotsIn(5);
  await closeAndReveal('sure');
  assert.equal(await proj.locator('.histogram .col').count(), 5);

  // 4. principles: points; a wrong sum cannot be sent.
  await host.click('#next');
  await atStage('Principles');
  await host.click('#open-close');
  await openedFor();
  await all(async (p, i) => {
    await p.fill('input[data-option="autonomy"]', '5');
    assert.match(await p.locator('.budget').innerText(), /5 of 10 points left/);
    assert.ok(await p.locator('#send').isDisabled(), 'a sum of 5 cannot be sent');
    await p.fill('input[data-option="beneficence"]', '-5');
    assert.match(await p.locator('.budget').innerText(), /10 of 10 points left/);
    assert.ok(await p.locator('#send').isDisabled(), 'a negative share cannot be sent');
    await p.fill('input[data-option="beneficence"]', '7');
    assert.match(await p.locator('.budget').innerText(), /2 points too many/);
    assert.ok(await p.locator('#send').isDisabled(), 'a sum of 12 cannot be sent');
    await p.fill('input[data-option="beneficence"]', String(5 - (i % 2)));
    if (i % 2) await p.getByRole('button', { name: 'One point more for Justice' }).click();
    assert.match(await p.locator('.budget').innerText(), /All 10 points shared/);
    await send(p);
  });
  await allLabelled(people[1]);
  await ballotsIn(5);
  await closeAndReveal('principles');
  assert.match(await proj.locator('.present-results').innerText(), /25 points/);  // autonomy: 5 x 5

  // 5. bias: ranking, by buttons and by dragging.
  await host.click('#next');
  await atStage('Bias');
  await host.click('#open-close');
  await openedFor();
  await people[0].getByRole('button', { name: 'Move Stereotypes down' }).click();
  assert.deepEqual(await people[0].locator('.rank-label').allInnerTexts(), ['Cultural background', 'Stereotypes', 'Moral beliefs']);
  await allLabelled(people[1]);
  await people[1].locator('.rank-item[data-option="morals"] .grip').dragTo(people[1].locator('.rank-item[data-option="stereotypes"]'));
  assert.equal((await people[1].locator('.rank-label').allInnerTexts())[0], 'Moral beliefs');
  // And with a finger: real touch events through the DevTools protocol.
  const centre = async (loc) => {
    const b = await loc.boundingBox();
    return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
  };
  const from = await centre(people[2].locator('.rank-item[data-option="morals"] .grip'));
  const to = await centre(people[2].locator('.rank-item[data-option="culture"]'));
  const touch = await people[2].context().newCDPSession(people[2]);
  await touch.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [from] });
  await touch.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x: from.x, y: (from.y + to.y) / 2 }] });
  await touch.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [to] });
  await touch.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  assert.deepEqual(await people[2].locator('.rank-label').allInnerTexts(), ['Stereotypes', 'Moral beliefs', 'Cultural background']);
  await all((p) => send(p));
  await ballotsIn(5);
  await closeAndReveal('bias');

  // 6. models: the model x outcome grid.
  await host.click('#next');
  await atStage('Lenses');
  await host.click('#open-close');
  await openedFor();
  await all(async (p, i) => {
    const sets = p.locator('fieldset[data-model]');
    assert.equal(await sets.count(), 4);
    for (let m = 0; m < 4; m++) await sets.nth(m).getByLabel(gut[(i + m) % 3], { exact: true }).check();
    await send(p);
  });
  await noHorizontalScroll(people[0], 360);
  await allLabelled(people[0]);
  await readable(people[0]);
  await ballotsIn(5);
  await closeAndReveal('models');
  await readable(proj);
  await proj.locator('table.heatmap td.heat').first().waitFor();

  // 7. lens: only the assigned model, named.
  await host.click('#next');
  await atStage('Your lens');
  await host.click('#open-close');
  await openedFor();
  await all(async (p) => {
    assert.equal(await p.locator('fieldset[data-model]').count(), 1);
    assert.match(await p.locator('.assigned').innerText(), /Your lens: .+/);
    await p.locator('fieldset[data-model]').getByLabel('Refer', { exact: true }).check();
    await send(p);
  });
  await ballotsIn(5);
  await host.click('#open-close');
  await host.locator('#round-info', { hasText: 'Round 1 · closed' }).waitFor();

  // 8. voices: free text with a counter, moderation, endorsement.
  await host.click('#next');
  await atStage('Voices');
  await host.click('#open-close');
  await openedFor();
  const said = ['Honesty comes first.', 'Think of the client’s family.', 'The rules exist for a reason.'];
  for (let i = 0; i < 3; i++) {
    const p = people[i];
    await p.fill('textarea', `  ${said[i]}  `);
    assert.equal(await p.locator('.counter').innerText(), `${said[i].length} / 280`);
    await p.click('#send');
    await p.locator('#ack[data-kind="ok"]', { hasText: 'Posted' }).waitFor();
    await p.locator('.own-posts li', { hasText: said[i] }).waitFor();
  }
  await host.locator('#preview .perspective').nth(2).waitFor();
  assert.equal(await people[3].locator('.perspective').count(), 0, 'nothing shown before moderation');
  for (let i = 0; i < 3; i++) {
    await host.locator('#preview .perspective.unshown button', { hasText: 'Show' }).first().click();
    await host.locator('#preview .perspective:not(.unshown)').nth(i).waitFor();
  }
  await all((p) => p.locator('.perspective').nth(2).waitFor());
  await allLabelled(people[3]);
  await allLabelled(host);
  await readable(people[3]);
  await readable(host);
  const card = people[3].locator('.perspective', { hasText: said[0] });
  await card.getByRole('button', { name: 'Endorse' }).click();
  await card.getByRole('button', { name: 'Endorsed' }).waitFor();
  // One's own perspective cannot be endorsed: the page says so, the count stays.
  await people[0].locator('.perspective', { hasText: said[0] }).getByRole('button', { name: 'Endorse' }).click();
  await people[0].locator('#results [role="alert"]', { hasText: 'your own' }).waitFor();
  // Counts move in steps of min_group (3) endorsers: two more endorse it.
  for (const p of [people[1], people[2]]) {
    const c = p.locator('.perspective', { hasText: said[0] });
    await c.getByRole('button', { name: 'Endorse' }).click();
    await c.getByRole('button', { name: 'Endorsed' }).waitFor();
  }
  await host.locator('#preview .perspective', { hasText: said[0] }).locator('.endorsements', { hasText: '3 endorsements' }).waitFor();
  await host.click('#open-close');
  await host.locator('#round-info', { hasText: 'Round 1 · closed' }).waitFor();

  // 9. discuss: the projector shows the revealed results and the wall of perspectives.
  await host.click('#next');
  await atStage('Discuss');
  await proj.locator('.present-results .results[data-question="gut"]').waitFor();
  await proj.locator('.present-results .results[data-question="models"]').waitFor();
  await proj.locator('.wall-box .perspective').nth(2).waitFor();
  await people[4].locator('#results .perspective').nth(2).waitFor();

  // 10. gut-again: the re-vote, blind again, then the before-to-after view.
  await host.click('#next');
  await atStage('Again');
  await host.locator('#open-close', { hasText: 'Re-vote: open round 2' }).click();
  await openedFor();
  await all((p) => p.locator('#results .results').waitFor({ state: 'detached' }));
  assert.equal(await people[0].locator('#ack[data-kind="ok"]').count(), 0, 'a new round starts with no ballot');
  const again = ['Refer', 'Refer', 'Refer', 'Decline', 'Refer'];
  await all(async (p, i) => {
    await p.getByLabel(again[i], { exact: true }).check();
    await send(p);
  });
  await ballotsIn(5);
  await closeAndReveal('gut', 2);
  await proj.locator('.shift-box', { hasText: '2 of 5 who voted both times changed their answer.' }).waitFor();
  // Round 1 (1/2/2) as faded bars under round 2 (1/0/4).
  assert.deepEqual(await proj.locator('.present-results .bar-row .bar-value').allInnerTexts(),
    ['1 · 20% (was 20%)', '0 · 0% (was 40%)', '4 · 80% (was 40%)']);
  await host.screenshot({ path: join(out, 'host.png'), fullPage: true });
  await proj.screenshot({ path: join(out, 'present-revote.png') });
  await noHorizontalScroll(proj, 1920);
  await allLabelled(proj);
  await allLabelled(host);
  await readable(proj);
  await readable(host);
  await readable(people[0]);

  // Exports, with the key in a header.
  const [download] = await Promise.all([host.waitForEvent('download'), host.click('text=Export CSV')]);
  const csv = readFileSync(await download.path(), 'utf8');
  assert.match(csv.split('\n')[0], /^session,question,type,round,voter,answer,note/);

  // Reloading the console re-attaches to the running session.
  await host.reload();
  await host.locator('#join-code', { hasText: code }).waitFor();
  await hostStage('Again');

  // End: every page says so.
  await host.click('#end');
  await host.click('#confirm-end');
  await all((p) => p.locator('#scenario-title', { hasText: 'this session has ended' }).waitFor());
  await proj.locator('text=This session has ended').waitFor();

  assert.deepEqual(leaks, [], 'participants received results before reveal');
  assert.deepEqual(site.watch.foreign, [], 'requests left the server');
  assert.deepEqual(site.watch.errors, [], 'page errors');

  // The README shows the latest screenshots of the three pages.
  if (process.env.ROUNDTABLE_UPDATE_SCREENSHOTS)
    for (const f of ['participant-results.png', 'host.png', 'present-revote.png'])
      if (existsSync(join(out, f))) copyFileSync(join(out, f), join(root, 'docs/img', f));
});
