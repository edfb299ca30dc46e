// Several facilitators in the console (issue 10): a facilitator's own key (made with `facilitator keys add`)
// opens a console that lists only its sessions; its session view makes a co-host link; the link opens a second
// console that drives that one session (next stage, end) and shows nothing to write or start; after the end the
// link no longer works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { useServerAndBrowser, ensureOutDir, root } from './harness.mjs';
import { Client } from '../conformance/harness.mjs';

const ADMIN = 'e2e-key-cohost-admin-0123456789';
let aliceKey;
let adminCode;
const site = useServerAndBrowser({ key: ADMIN }, {
  setup: async () => {
    // The real command, on the database the server is running on.
    aliceKey = execFileSync(join(root, 'build/bin/facilitator'), ['keys', '--db', site.server.db, 'add', 'alice'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const admin = await Client.connect({ ws: `${site.server.origin.replace(/^http/, 'ws')}/ws` });
    await admin.ok({ type: 'host', key: ADMIN });
    adminCode = (await admin.ok({ type: 'start', scenario: 'demo' })).code;
    admin.close();
  },
});

test('console: a co-host link drives one session until it ends', async () => {
  const ctx = await site.context();
  const page = await ctx.newPage();
  await page.goto(`${site.server.origin}/host#key=${aliceKey}`);
  await page.locator('#sessions li').first().waitFor();
  assert.equal(await page.locator('#sessions').innerText(), 'None yet.', 'the admin\'s session is not hers');
  await page.locator('[data-scenario="demo"] button.start').click();
  const code = (await page.locator('#join-code').innerText()).trim();
  assert.notEqual(code, adminCode);

  await page.click('#cohost-mint');
  const link = await page.locator('#cohost-link').inputValue();
  assert.match(link, new RegExp(`^${site.server.origin}/host#key=[A-Za-z0-9_-]{32}$`));
  await page.locator('.cohost').screenshot({ path: join(ensureOutDir(), 'cohost-link.png') });

  const cohostCtx = await site.context();
  const cohost = await cohostCtx.newPage();
  await cohost.goto(link);
  const row = cohost.locator('#sessions li', { hasText: code });
  await row.waitFor();
  assert.equal(await cohost.locator('#sessions li').count(), 1, 'only the one session');
  assert.equal(await cohost.locator('#scenarios li').count(), 0, 'no case to start');
  assert.equal(await cohost.locator('.case-tools').isHidden(), true, 'nothing to write');
  await row.getByRole('button', { name: 'Resume' }).click();
  await cohost.locator('#next').click();
  await page.locator('#host-stage-title', { hasText: 'First reaction' }).waitFor();
  assert.equal(await cohost.locator('#cohost-mint').count(), 0, 'a co-host makes no co-host links');
  await cohost.screenshot({ path: join(ensureOutDir(), 'cohost.png'), fullPage: true });

  await cohost.click('#end');
  await cohost.click('#confirm-end');
  await page.locator('.session-box', { hasText: 'ended' }).waitFor();
  // The key ended with the session: a console opened with the link now asks for a key.
  const late = await cohostCtx.newPage();
  await late.goto(link);
  await late.locator('#key-error', { hasText: 'That key is not right.' }).waitFor();
  await ctx.close();
  await cohostCtx.close();
});
