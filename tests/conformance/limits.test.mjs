// protocol.md "Limits" (HTTP sizes and timeouts), the participant table's limits, and what is never stored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { startServer, Client, facilitator, participant, startSession, group, sleep, scenarioDir, KEY, lastOf, httpGet, clusterSkip } from './harness.mjs';

let server;
before(async () => {
  server = await startServer({ scenarios: scenarioDir({ 'plain.json': {
    format: 1, id: 'plain', title: 'Plain', summary: 'A text question with the default length.', case: ['Case.'],
    models: [{ id: 'm', name: 'M', prompt: 'M?' }], outcomes: [{ id: 'x', label: 'X' }, { id: 'y', label: 'Y' }],
    stages: [{ id: 'say', kind: 'question', title: 'Say', question: { type: 'text', prompt: 'Say it.' } }],
  } }) });
});
after(async () => { await server.stop(); });

/** A raw HTTP exchange; resolves with the status line's code (or 'closed' when the server hung up without one). */
function raw(request, { timeout = 15000 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(server.port, '127.0.0.1');
    let data = '';
    const t0 = Date.now();
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('no answer')); }, timeout);
    sock.on('data', (d) => { data += d; });
    sock.on('error', () => {});
    sock.on('close', () => {
      clearTimeout(timer);
      const m = data.match(/^HTTP\/1\.[01] (\d{3})/);
      resolve({ status: m ? Number(m[1]) : 'closed', ms: Date.now() - t0, data });
    });
    sock.write(request);
  });
}

test('HTTP headers above 8 KiB -> 431', async () => {
  const r = await raw(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ${'a'.repeat(9 * 1024)}\r\nConnection: close\r\n\r\n`);
  assert.equal(r.status, 431, r.data.slice(0, 200));
  const ok = await raw(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ${'a'.repeat(6 * 1024)}\r\nConnection: close\r\n\r\n`);
  assert.equal(ok.status, 200);
});

test('HTTP bodies above 16 KiB -> 413', async () => {
  const body = 'x'.repeat(17 * 1024);
  const r = await raw(`POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
  assert.equal(r.status, 413, r.data.slice(0, 200));
});

test('an HTTP request that never completes is dropped after about 10 s', async () => {
  const r = await raw('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n', { timeout: 20000 });
  assert.ok(r.ms >= 9000 && r.ms <= 13000, `dropped after ${r.ms} ms`);
});

test('unknown routes -> 404; /qr for an unknown code -> 404', async () => {
  assert.equal((await fetch(`${server.origin}/nope`)).status, 404);
  assert.equal((await fetch(`${server.origin}/qr/000000.svg`)).status, 404);
});

test('join codes: 6 decimal digits, distinct', async () => {
  const f = await facilitator(server);
  const codes = new Set();
  for (let i = 0; i < 15; i++) {
    const { code } = await startSession(f);
    assert.match(code, /^\d{6}$/);
    codes.add(code);
  }
  assert.equal(codes.size, 15);
  const sorted = [...codes].map(Number).sort((a, b) => a - b);
  assert.ok(sorted[14] - sorted[0] > 15, 'codes look sequential, not random');
  f.close();
});

test('facilitator commands need no attach first (another facilitator connection drives the session)', async () => {
  const g = await group(server, 1);
  const other = await facilitator(server);
  const from = g.ps[0].mark();
  await other.ok({ type: 'goto', code: g.code, stage: 'pick' });
  // and the commanding connection gets the pushes that follow, with the code
  assert.equal((await other.waitFor('stage')).code, g.code);
  await other.ok({ type: 'open', code: g.code, question: 'pick' });
  await g.ps[0].waitFor((m) => m.type === 'round' && m.status === 'open', { from });
  await g.ps[0].ok({ type: 'vote', question: 'pick', ballot: { choice: 'a' } });
  g.close(); other.close();
});

test('at most 3 perspectives per participant and round; a new round allows 3 more', async () => {
  const g = await group(server, 1);
  const { f, code, ps: [p] } = g;
  await f.ok({ type: 'open', code, question: 'voices' });
  for (const t of ['one', 'two', 'three']) await p.ok({ type: 'perspective', question: 'voices', text: t });
  assert.equal((await p.request({ type: 'perspective', question: 'voices', text: 'four' })).code, 'invalid_ballot');
  // from another connection of the same participant too
  const again = await participant(server, code, p.token);
  assert.equal((await again.request({ type: 'perspective', question: 'voices', text: 'four' })).code, 'invalid_ballot');
  await f.ok({ type: 'close', code, question: 'voices' });
  await f.ok({ type: 'open', code, question: 'voices' });
  await p.ok({ type: 'perspective', question: 'voices', text: 'four' });
  g.close(); again.close();
});

test('text questions default to 280 code points', async () => {
  const f = await facilitator(server);
  const { code } = await startSession(f, { scenario: 'plain' });
  const p = await participant(server, code);
  await f.ok({ type: 'open', code, question: 'say' });
  await p.ok({ type: 'perspective', question: 'say', text: '😀'.repeat(280) });
  assert.equal((await p.request({ type: 'perspective', question: 'say', text: 'a'.repeat(281) })).code, 'invalid_ballot');
  f.close(); p.close();
});

test('end closes open rounds with their exact final tally, then `ended`', async () => {
  const g = await group(server, 3, { options: { live: true } });
  const { f, code, ps } = g;
  await f.ok({ type: 'open', code, question: 'pick' });
  for (const p of ps) await p.ok({ type: 'vote', question: 'pick', ballot: { choice: 'c' } });
  await ps[0].ok({ type: 'vote', question: 'pick', ballot: { choice: 'a' } });
  const from = ps[1].mark();
  await f.ok({ type: 'end', code });
  const ended = await ps[1].waitFor('ended', { from });
  const closed = ps[1].since(from, (m) => m.type === 'round' && m.status === 'closed');
  assert.equal(closed.length, 1);
  const res = lastOf(ps[1], (m) => m.type === 'results' && m.tally, from);
  assert.deepEqual(res.tally.counts, { a: 1, b: 0, c: 2 });
  assert.ok(ps[1].msgs.indexOf(res) < ps[1].msgs.indexOf(ended));
  assert.equal((await f.request({ type: 'end', code })).type, 'ack');
  g.close();
});

test('the store never holds a participant token (nor a request id)', {
  skip: clusterSkip('reads one process\'s SQLite --db file, which holds no events with --nats'),
}, async () => {
  const s = await startServer();
  const g = await group(s, 3);
  const { f, code, ps } = g;
  await f.ok({ type: 'open', code, question: 'pick' });
  await f.ok({ type: 'open', code, question: 'voices' });
  // one more participant with a distinctive user agent
  const UA = 'ConformanceAgent/9.9 (distinctive-user-agent)';
  const ua = await Client.connect(s, { headers: { 'User-Agent': UA } });
  const uaTok = 'U'.repeat(30);
  await ua.ok({ type: 'join', code, token: uaTok });
  await ua.ok({ type: 'vote', question: 'pick', ballot: { choice: 'a' } });
  ua.close();
  for (const p of ps) {
    await p.ok({ type: 'vote', id: `reqid-${p.token.slice(0, 10)}`, question: 'pick', ballot: { choice: 'b' } });
    await p.ok({ type: 'perspective', question: 'voices', text: 'hello' });
  }
  g.close();
  await s.stop();
  const dir = dirname(s.db);
  let bytes = '';
  for (const name of readdirSync(dir)) if (name.startsWith(basename(s.db))) bytes += readFileSync(join(dir, name)).toString('latin1');
  assert.ok(bytes.length > 0);
  assert.ok(bytes.includes('hello'), 'the perspective text is not in the store at all?');
  assert.ok(!bytes.includes(UA) && !bytes.includes('distinctive-user-agent'), 'a user agent is stored');
  assert.ok(!bytes.includes(uaTok), 'a token is stored');
  for (const p of ps) {
    assert.ok(!bytes.includes(p.token), 'a token is stored');
    assert.ok(!bytes.includes(`reqid-${p.token.slice(0, 10)}`), 'a request id is stored as sent');
  }
});

test('out of file descriptors: new connections are refused or delayed without spinning; existing ones are served', {
  skip: clusterSkip('one process\'s descriptor limit (prlimit --nofile) and its CPU time'),
}, async () => {
  const { readFileSync } = await import('node:fs');
  const cpu = (pid) => {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in seconds (USER_HZ 100)
  };
  const s = await startServer({ nofile: 128 });
  const opened = [];
  try {
    const g = await group(s, 3);
    await g.f.ok({ type: 'open', code: g.code, question: 'pick' });
    const attempts = [];
    for (let i = 0; i < 200; i++) attempts.push(Client.connect(s).then((c) => { opened.push(c); }, () => {}));
    await Promise.race([Promise.allSettled(attempts), sleep(3000)]);
    assert.ok(opened.length < 200, 'the descriptor limit was not reached');
    const c0 = cpu(s.child.pid);
    await sleep(2000);
    const used = cpu(s.child.pid) - c0;
    assert.ok(used < 0.5, `the server spun at the limit: ${used} s of CPU in 2 s`);
    assert.equal((await g.ps[0].request({ type: 'vote', question: 'pick', ballot: { choice: 'a' } })).type, 'ack');
    for (const c of opened.splice(0)) c.close();
    await sleep(1000);
    const late = await participant(s, g.code);
    assert.equal(late.joined.type, 'joined');
    late.close(); g.close();
  } finally {
    for (const c of opened) c.close();
    await s.stop();
  }
});

test('3,000 participants at once: all join, presence counts them, every vote is acked and tallied', async () => {
  const { token } = await import('./harness.mjs');
  const s = await startServer();
  const cs = [];
  try {
    const f = await facilitator(s);
    const { code } = await startSession(f);
    await f.ok({ type: 'open', code, question: 'pick' });
    const N = 3000;
    for (let b = 0; b < N; b += 250) {
      await Promise.all(Array.from({ length: 250 }, async () => {
        const c = await Client.connect(s);
        cs.push(c);
        await c.ok({ type: 'join', code, token: token() });
      }));
    }
    await f.waitFor((m) => m.type === 'presence' && m.participants === N, { timeout: 10000 });
    const opts = ['a', 'b', 'c'];
    await Promise.all(cs.map((c, i) => c.ok({ type: 'vote', question: 'pick', ballot: { choice: opts[i % 3] } }, { timeout: 20000 })));
    const from = f.mark();
    await f.ok({ type: 'close', code, question: 'pick' });
    const r = await f.waitFor((m) => m.type === 'results' && m.question === 'pick', { from, timeout: 10000 });
    assert.equal(r.ballots, N);
    assert.deepEqual(r.tally.counts, { a: 1000, b: 1000, c: 1000 });
    f.close();
  } finally {
    for (const c of cs) c.close();
    await s.stop();
  }
});
