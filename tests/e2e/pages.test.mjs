// Each page against bad input and a bad network: wrong codes and keys, an ack that is late, a dropped
// connection. The server is real; the WebSocket is routed through the test so it can hold or cut frames.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, PHONE } from './harness.mjs';

const KEY = 'e2e-key-pages-0123456789';
let code;
const site = useServerAndBrowser({ key: KEY }, {
  setup: async () => {
    const host = await site.page();
    await host.goto(`${site.server.origin}/host#key=${KEY}`);
    await host.click('[data-scenario="demo"] button.start');
    code = (await host.locator('#join-code').innerText()).trim();
    await host.click('#next');
    await host.locator('#host-stage-title', { hasText: 'First reaction' }).waitFor();
    await host.click('#open-close');
    await host.locator('#round-info', { hasText: 'open' }).waitFor();
  },
});

test('participant: a code that is not six digits is refused on the page', async () => {
  const p = await site.page(PHONE);
  await p.goto(`${site.server.origin}/`);
  await p.fill('#code', '12a4');
  assert.equal(await p.inputValue('#code'), '124', 'only digits are kept');
  await p.press('#code', 'Enter');
  await p.locator('#join-error', { hasText: 'six digits' }).waitFor();
  assert.ok(await p.locator('#session').isHidden());
});

test('participant: an unknown code says so and the form stays', async () => {
  const p = await site.page(PHONE);
  const wrong = code === '000000' ? '000001' : '000000';
  await p.goto(`${site.server.origin}/`);
  await p.fill('#code', wrong);
  await p.press('#code', 'Enter');
  await p.locator('#join-error', { hasText: `No session has the code ${wrong}` }).waitFor();
  assert.equal(await p.evaluate(() => localStorage.getItem('roundtable.code')), null);
  // A QR link with an unknown code lands on the same form.
  await p.goto(`${site.server.origin}/j/${wrong}`);
  await p.locator('#join-error', { hasText: 'No session has the code' }).waitFor();
});

test('participant: "Vote recorded" waits for the server\'s ack; a dropped connection reconnects', async () => {
  const ctx = await site.context(PHONE);
  const p = await ctx.newPage();
  let hold = false;
  let cut = null;
  const held = [];
  let heldOne;
  const gotHeld = new Promise((r) => { heldOne = r; });
  await p.routeWebSocket(/\/ws$/, (ws) => {
    const upstream = ws.connectToServer();
    cut = () => ws.close({ code: 1012, reason: 'test restart' });
    upstream.onMessage((m) => {
      if (hold && JSON.parse(m).type === 'ack') {
        held.push(() => ws.send(m));
        return heldOne();
      }
      ws.send(m);
    });
    ws.onMessage((m) => upstream.send(m));
  });
  await p.goto(`${site.server.origin}/j/${code}`);
  await p.locator('#round-status[data-status="open"]').waitFor();
  await p.getByLabel('Decline', { exact: true }).check();
  hold = true;
  await p.click('#send');
  await gotHeld;
  assert.equal(await p.locator('#ack').innerText(), 'Sending…');
  hold = false;
  held.shift()();
  await p.locator('#ack[data-kind="ok"]', { hasText: 'Vote recorded' }).waitFor();

  // The connection drops: the state is shown, then it comes back by itself and rejoins.
  cut();
  await p.locator('#conn[data-state="waiting"]', { hasText: /Offline, retrying in \d+ s/ }).waitFor();
  await p.locator('#conn[data-state="open"]', { hasText: 'Connected' }).waitFor();
  await p.locator('#ack[data-kind="ok"]', { hasText: 'Vote recorded' }).waitFor();
  assert.ok(await p.getByLabel('Decline', { exact: true }).isChecked());
});

test('console: a wrong key is refused and asked again; nothing is stored', async () => {
  const p = await site.page();
  await p.goto(`${site.server.origin}/host#key=not-the-key`);
  await p.locator('#key-error', { hasText: 'That key is not right.' }).waitFor();
  assert.equal(await p.evaluate(() => sessionStorage.getItem('roundtable.key')), null);
  assert.equal(await p.evaluate(() => localStorage.length), 0, 'the key never goes to localStorage');
  await p.fill('#key', KEY);
  await p.press('#key', 'Enter');
  await p.locator('[data-scenario="demo"]').waitFor();
  assert.ok(await p.locator('#sessions li', { hasText: code }).isVisible());
});

test('projector: an unknown code says so', async () => {
  const p = await site.page({ viewport: { width: 1920, height: 1080 } });
  const wrong = code === '000000' ? '000001' : '000000';
  await p.goto(`${site.server.origin}/present/${wrong}`);
  await p.locator('h1', { hasText: `No session has the code ${wrong}` }).waitFor();
});

test('live mode: results reach participants while the round is open, suppressed below the threshold', async () => {
  const host = await site.page();
  await host.goto(`${site.server.origin}/host#key=${KEY}`);
  await host.check('#live-demo');
  await host.click('[data-scenario="demo"] button.start');
  const live = (await host.locator('#join-code').innerText()).trim();
  assert.notEqual(live, code);
  await host.click('#next');
  await host.locator('#host-stage-title', { hasText: 'First reaction' }).waitFor();
  await host.click('#open-close');
  const people = [];
  for (let i = 0; i < 3; i++) {
    const p = await site.page(PHONE);
    await p.goto(`${site.server.origin}/j/${live}`);
    await p.locator('#round-status[data-status="open"]').waitFor();
    people.push(p);
  }
  await people[0].getByLabel('Refer', { exact: true }).check();
  await people[0].click('#send');
  await people[0].locator('#ack[data-kind="ok"]').waitFor();
  // One ballot: the results box says why there is nothing to see yet.
  await people[0].locator('#results .results.suppressed', { hasText: 'at least 3 people' }).waitFor();
  for (const p of people.slice(1)) {
    await p.getByLabel('Decline', { exact: true }).check();
    await p.click('#send');
    await p.locator('#ack[data-kind="ok"]').waitFor();
  }
  await Promise.all(people.map((p) => p.locator('#results .results:not(.suppressed) .bar-row', { hasText: /Refer\s*1 · 33%/ }).waitFor()));
  assert.match(await host.locator('#round-info').innerText(), /open .*hidden from the room/);
});

test('participant: each session gets its own token, kept for a rejoin, so sessions cannot be linked', async () => {
  // A second session on the same server, started over the wire contract.
  const { default: WebSocket } = await import('ws');
  const console2 = new WebSocket(`${site.server.origin.replace(/^http/, 'ws')}/ws`);
  const replies = [];
  console2.on('message', (d) => replies.push(JSON.parse(d)));
  await new Promise((resolve) => console2.once('open', resolve));
  const reply = async (type) => {
    for (let i = 0; i < 200 && !replies.some((m) => m.type === type); i++) await new Promise((r) => setTimeout(r, 10));
    return replies.find((m) => m.type === type);
  };
  console2.send(JSON.stringify({ type: 'host', key: KEY }));
  await reply('hosting');
  console2.send(JSON.stringify({ type: 'start', scenario: 'demo' }));
  const other = (await reply('started')).code;
  assert.ok(other && other !== code);

  const p = await site.page(PHONE);
  const joins = [];
  p.on('websocket', (s) => s.on('framesent', ({ payload }) => {
    const m = JSON.parse(payload);
    if (m.type === 'join') joins.push(m);
  }));
  for (const c of [code, other, code]) {
    await p.goto(`${site.server.origin}/j/${c}`);
    await p.locator('#session').waitFor();
    for (let i = 0; i < 200 && !joins.some((j) => j.code === c); i++) await new Promise((r) => setTimeout(r, 10));
  }
  const tokenOf = (c) => [...new Set(joins.filter((j) => j.code === c).map((j) => j.token))];
  assert.equal(tokenOf(code).length, 1, 'a rejoin of the same session sends the same token');
  assert.equal(tokenOf(other).length, 1);
  assert.notEqual(tokenOf(code)[0], tokenOf(other)[0], 'two sessions never share a token');
  assert.equal(await p.evaluate(() => localStorage.getItem('roundtable.token')), null);
  console2.close();
});

test('participant: the page connects only once it has a code to join (the server closes idle sockets)', async () => {
  const p = await site.page(PHONE);
  const sockets = [];
  p.on('websocket', (s) => sockets.push(s));
  await p.goto(`${site.server.origin}/`);
  await p.waitForTimeout(1000);
  assert.equal(sockets.length, 0, 'no WebSocket while nobody has typed a code');
  await p.fill('#code', code);
  await p.press('#code', 'Enter');
  await p.locator('#session').waitFor();
  assert.equal(sockets.length, 1);
});

test('participant: a phone that wakes (visibilitychange) reconnects at once, not after the backoff', async () => {
  const ctx = await site.context(PHONE);
  const p = await ctx.newPage();
  let refuse = false;
  let cut = null;
  await p.routeWebSocket(/\/ws$/, (ws) => {
    if (refuse) return ws.close({ code: 1012, reason: 'asleep' });
    const upstream = ws.connectToServer();
    cut = () => ws.close({ code: 1012, reason: 'test sleep' });
    upstream.onMessage((m) => ws.send(m));
    ws.onMessage((m) => upstream.send(m));
  });
  await p.goto(`${site.server.origin}/j/${code}`);
  await p.locator('#conn[data-state="open"]').waitFor();
  // Asleep: the socket is gone and every attempt fails, so the backoff grows to seconds.
  refuse = true;
  cut();
  await p.locator('#conn[data-state="waiting"]', { hasText: /retrying in ([4-9]|1\d) s/ }).waitFor({ timeout: 15000 });
  // Awake: the network is back and the page is shown; it reconnects now, well before its next attempt.
  refuse = false;
  await p.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
  await p.locator('#conn[data-state="open"]', { hasText: 'Connected' }).waitFor({ timeout: 2000 });
  await ctx.close();
});
