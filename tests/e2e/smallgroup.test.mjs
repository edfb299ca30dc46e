// Small groups (issue 11 item 2): before opening an assigned-lens question, the console warns when the
// participants present are too few for any lens's row to reach the anonymity threshold.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newContext } from './harness.mjs';

const KEY = 'e2e-key-smallgroup-0123456789';
const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true };
let server;
let browser;
const watch = { foreign: [], errors: [] };

before(async () => {
  server = await startServer({ key: KEY });
  browser = await launchBrowser();
});

after(async () => {
  assert.deepEqual(watch.foreign, [], 'requests left the server');
  assert.deepEqual(watch.errors, [], 'page errors');
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('the console warns before opening a lens question for a group too small, and stops once it is not', async () => {
  const host = await (await newContext(browser, server.origin, {}, watch)).newPage();
  await host.goto(`${server.origin}/host#key=${KEY}`);
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
    const p = await (await newContext(browser, server.origin, PHONE, watch)).newPage();
    await p.goto(`${server.origin}/j/${code}`);
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
  await host.locator('#round-info', { hasText: 'open' }).waitFor();
  assert.equal(await host.locator('#small-group').count(), 0);
});
