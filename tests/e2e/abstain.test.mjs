// "Not sure / pass" and "Withdraw my answer" on a phone-sized participant page (issue 11 item 3): the buttons
// appear where the question offers them, every state is written only once the server acked it, and the
// revealed results show the passes apart from the options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, PHONE, ensureOutDir } from './harness.mjs';
import { join } from 'node:path';

const KEY = 'e2e-key-abstain-0123456789';
let host;
let code;
const site = useServerAndBrowser({ key: KEY }, {
  setup: async () => {
    host = await site.page();
    await host.goto(`${site.server.origin}/host#key=${KEY}`);
    await host.click('[data-scenario="passes"] button.start');
    code = (await host.locator('#join-code').innerText()).trim();
    await host.click('#next');
    await host.locator('#host-stage-title', { hasText: 'First reaction' }).waitFor();
    await host.click('#open-close');
    await host.locator('#round-info', { hasText: 'open' }).waitFor();
  },
});

async function phone() {
  const p = await site.page(PHONE);
  await p.goto(`${site.server.origin}/j/${code}`);
  await p.locator('#round-status[data-status="open"]').waitFor();
  return p;
}

async function vote(p, label) {
  await p.getByLabel(label, { exact: true }).check();
  await p.click('#send');
  await p.locator('#ack[data-kind="ok"]', { hasText: 'Vote recorded' }).waitFor();
}

test('a participant passes, another withdraws, and the revealed results count the pass apart', async () => {
  const people = [];
  for (let i = 0; i < 5; i++) people.push(await phone());
  const [p0, p1, p2, p3, p4] = people;

  // Before any answer there is nothing to withdraw.
  assert.ok(await p0.locator('#pass').isEnabled());
  assert.ok(await p0.locator('#withdraw').isHidden());
  await vote(p0, 'Refer');
  assert.ok(await p0.locator('#withdraw').isVisible());
  await vote(p1, 'Decline');
  await vote(p2, 'Refer');
  await vote(p4, 'Refer');

  // The pass: recorded once acked, the options cleared, the button off until the answer changes.
  await p3.getByLabel('Decline', { exact: true }).check();
  await p3.click('#pass');
  await p3.locator('#ack[data-kind="ok"]', { hasText: 'not sure / pass' }).waitFor();
  assert.equal(await p3.getByLabel('Decline', { exact: true }).isChecked(), false);
  assert.ok(await p3.locator('#pass').isDisabled());
  assert.ok(await p3.locator('#withdraw').isVisible());

  // The withdrawal: the answer is gone from the page and from the server (a reload does not bring it back).
  await p0.click('#withdraw');
  await p0.locator('#ack[data-kind="ok"]', { hasText: 'Answer withdrawn' }).waitFor();
  assert.equal(await p0.getByLabel('Refer', { exact: true }).isChecked(), false);
  assert.ok(await p0.locator('#withdraw').isHidden());
  await p0.reload();
  await p0.locator('#round-status[data-status="open"]').waitFor();
  assert.equal(await p0.getByLabel('Refer', { exact: true }).isChecked(), false);
  assert.equal(await p0.locator('#ack').innerText(), '');
  // The pass comes back after a reload.
  await p3.reload();
  await p3.locator('#ack[data-kind="ok"]', { hasText: 'not sure / pass' }).waitFor();

  // Nothing on the phone spills sideways with the extra buttons.
  const overflow = await p3.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, 'the page scrolls sideways');

  await host.click('#open-close');
  await host.locator('#round-info', { hasText: 'closed' }).waitFor();
  await host.click('#reveal-hide');
  for (const p of [p1, p3]) {
    await p.locator('#results .results:not(.suppressed) .bar-row', { hasText: /Refer\s*2 · 67%/ }).waitFor();
    await p.locator('#results .abstained', { hasText: 'Not sure / pass: 1' }).waitFor();
  }
  assert.match(await p1.locator('#results .results-head').innerText(), /4 ballots/);
  // Voting closed: neither button is offered.
  assert.ok(await p3.locator('#pass').isDisabled());
  assert.ok(await p3.locator('#withdraw').isHidden());
  await p3.screenshot({ path: join(ensureOutDir(), 'participant-abstain.png'), fullPage: true });
});

test('a text question offers neither a pass nor a withdrawal', async () => {
  await host.click('#next');
  await host.locator('#host-stage-title', { hasText: 'Confidence' }).waitFor();
  const p = await site.page(PHONE);
  await p.goto(`${site.server.origin}/j/${code}`);
  await p.locator('#stage-title', { hasText: 'Confidence' }).waitFor();
  // "sure" offers a pass in this scenario; the text question after it does not, and has no withdraw either.
  assert.ok(await p.locator('#pass').count() === 1);
  await host.click('#next');
  await p.locator('#stage-title', { hasText: 'Voices' }).waitFor();
  assert.equal(await p.locator('#pass').count(), 0);
  assert.equal(await p.locator('#withdraw').count(), 0);
});
