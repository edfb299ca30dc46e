// Small groups (issue 11 item 2): before opening an assigned-lens question, the console warns when the
// participants present are too few for any lens's row to reach the anonymity threshold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, PHONE } from './harness.mjs';

const KEY = 'e2e-key-smallgroup-0123456789';
const site = useServerAndBrowser({ key: KEY });

test('the console warns before opening a lens question for a group too small, and stops once it is not', async () => {
  const host = await site.page();
  await host.goto(`${site.server.origin}/host#key=${KEY}`);
  await host.click('[data-scenario="demo"] button.start');
  const code = (await host.locator('#join-code').innerText()).trim();
  // The lens question with every model for everyone needs no warning.
  await host.locator('button.link', { hasText: /^Lenses/ }).click();
  await host.locator('#host-stage-title', { hasText: 'Lenses' }).waitFor();
  assert.equal(await host.locator('#small-group').count(), 0);
  await host.locator('button.link', { hasText: /^Your lens/ }).click();
  await host.locator('#host-stage-title', { hasText: 'Your lens' }).waitFor();
  await host.locator('#small-group', { hasText: '0 participants over 4 lenses' }).waitFor();
  const phones = [];
  for (let i = 0; i < 9; i++) {
    const p = await site.page(PHONE);
    await p.goto(`${site.server.origin}/j/${code}`);
    await p.locator('#stage-title', { hasText: 'Your lens' }).waitFor();
    phones.push(p);
  }
  // Nine over four lenses: at most three each, the threshold: no warning.
  await host.locator('#participants', { hasText: '9 participants' }).waitFor();
  assert.equal(await host.locator('#small-group').count(), 0);
  await phones.pop().close();
  await host.locator('#small-group', { hasText: 'each lens gets at most 2 answers, fewer than the threshold of 3' }).waitFor();
  // Once voting is open the warning has done its job.
  await host.click('#open-close');
  // "Round 1 · open", not "Not opened yet", which also holds "open".
  await host.locator('#round-info', { hasText: 'Round 1 · open' }).waitFor();
  assert.equal(await host.locator('#small-group').count(), 0);
});
