// The lens choice (issue 11 item 2): a supervision group of five on phones. With four lenses no row could reach
// the threshold of 3, so the console warns; dealing two lenses over the five present gives rows of 3 and 2, the
// warning goes, each phone shows only its own lens, and the row of three shows once the round closes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, PHONE } from './harness.mjs';

const KEY = 'e2e-key-lenses-0123456789abcd';
const site = useServerAndBrowser({ key: KEY });

test('five phones: the console deals two lenses over those present and each phone answers its own', async () => {
  const host = await site.page();
  await host.goto(`${site.server.origin}/host#key=${KEY}`);
  await host.click('[data-scenario="demo"] button.start');
  const code = (await host.locator('#join-code').innerText()).trim();
  await host.locator('button.link', { hasText: /^Your lens/ }).click();
  await host.locator('#host-stage-title', { hasText: 'Your lens' }).waitFor();
  const phones = [];
  for (let i = 0; i < 5; i++) {
    const p = await site.page(PHONE);
    await p.goto(`${site.server.origin}/j/${code}`);
    await p.locator('#stage-title', { hasText: 'Your lens' }).waitFor();
    phones.push(p);
  }
  await host.locator('#participants', { hasText: '5 participants' }).waitFor();
  // Four lenses for five: at most two answers a lens.
  await host.locator('#small-group', { hasText: '5 participants over 4 lenses: each lens gets at most 2 answers' }).waitFor();
  assert.equal(await host.locator('#lenses').inputValue(), '4');
  // "Every lens for everyone" needs no warning either: every row counts all five.
  await host.selectOption('#lenses', '0');
  await host.locator('#small-group').waitFor({ state: 'detached' });
  await host.selectOption('#lenses', '2');
  assert.equal(await host.locator('#small-group').count(), 0);
  await host.click('#open-close');
  await host.locator('#round-info', { hasText: 'open' }).waitFor();
  // Each phone shows one lens, of the two dealt; three hold one and two the other.
  const held = {};
  for (const p of phones) {
    await p.locator('#round-status[data-status="open"]').waitFor();
    const lens = (await p.locator('.assigned strong').innerText()).trim();
    assert.equal(await p.locator('fieldset[data-model]').count(), 1, 'a phone shows one lens only');
    held[lens] = (held[lens] || 0) + 1;
    await p.getByLabel('Refer', { exact: true }).check();
    await p.click('#send');
    await p.locator('#ack[data-kind="ok"]', { hasText: 'Vote recorded' }).waitFor();
  }
  assert.deepEqual(Object.values(held).sort(), [2, 3], JSON.stringify(held));
  await host.click('#open-close');
  await host.locator('#round-info', { hasText: 'closed' }).waitFor();
  // The lens of three shows its row; the lens of two is held back, and the two not dealt have no ballots.
  const grid = host.locator('.results table.heatmap tbody tr');
  await grid.first().waitFor();
  assert.equal(await grid.count(), 1);
  await host.locator('.results', { hasText: '3 models are not shown' }).first().waitFor();
  // Fits a phone: no sideways scrolling.
  for (const p of phones) assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1));
});

test('the start row deals every lens to everyone for the whole session, and the console says what that means', async () => {
  const host = await site.page();
  await host.goto(`${site.server.origin}/host#key=${KEY}`);
  await host.selectOption('#lenses-demo', '0');
  await host.click('[data-scenario="demo"] button.start');
  await host.locator('button.link', { hasText: /^Your lens/ }).click();
  await host.locator('#host-stage-title', { hasText: 'Your lens' }).waitFor();
  assert.equal(await host.locator('#lenses').inputValue(), '0');
  await host.locator('#small-group', { hasText: '0 participants, every lens for everyone: 0 answers per lens' }).waitFor();
  // A phone joins before the open: it answers every model, no lens of its own.
  const code = (await host.locator('#join-code').innerText()).trim();
  const p = await site.page(PHONE);
  await p.goto(`${site.server.origin}/j/${code}`);
  await p.locator('#stage-title', { hasText: 'Your lens' }).waitFor();
  await host.click('#open-close');
  await p.locator('#round-status[data-status="open"]').waitFor();
  assert.equal(await p.locator('fieldset[data-model]').count(), 4);
  assert.equal(await p.locator('.assigned').count(), 0);
});
