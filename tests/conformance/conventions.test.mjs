// protocol.md "Conventions" and the transport rules of "Limits".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, Client, facilitator, participant, startSession, group, alive, token, sleep, KEY, lastOf } from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

const PUSHES = ['stage', 'round', 'progress', 'results', 'perspectives', 'presence', 'hidden', 'ended'];

test('every request gets exactly one direct reply echoing its id; pushes carry no id', async () => {
  const g = await group(server, 3);
  const { f, code, ps } = g;
  const fm = f.mark(); const pm = ps.map((p) => p.mark());
  const freqs = [
    { type: 'goto', id: 'g1', code, stage: 'pick' },
    { type: 'open', id: 'g2', code, question: 'pick' },
    { type: 'goto', id: 'g3', code, stage: 99 },
    { type: 'reveal', id: 'g4', code, question: 'pick' },
    { type: 'hide', id: 'g5', code, question: 'pick' },
    { type: 'close', id: 'g6', code, question: 'pick' },
    { type: 'bogus', id: 'g7' },
    { type: 'attach', id: 'g8', code },
  ];
  for (const r of freqs) f.send(r);
  for (const [i, p] of ps.entries()) {
    p.send({ type: 'vote', id: `pv${i}`, question: 'scale', ballot: { value: 1 } });
    p.send({ type: 'join', id: `pj${i}`, code, token: p.token });
  }
  await f.waitFor((m) => m.id === 'g8', { from: fm });
  for (const p of ps) await p.waitFor((m) => m.id?.startsWith('pj'), { from: 0 });
  await sleep(400);
  for (const r of freqs) assert.equal(f.since(fm, (m) => m.id === r.id).length, 1, `replies to ${r.id}`);
  for (const [i, p] of ps.entries()) {
    assert.equal(p.since(pm[i], (m) => m.id === `pv${i}`).length, 1);
    assert.equal(p.since(pm[i], (m) => m.id === `pj${i}`).length, 1);
    assert.equal(p.since(pm[i], (m) => m.id === `pj${i}`)[0].type, 'joined');
  }
  assert.equal(f.since(fm, (m) => m.id === 'g8')[0].type, 'joined');
  for (const c of [f, ...ps]) for (const m of c.msgs) {
    if (PUSHES.includes(m.type)) assert.equal(m.id, undefined, `push with id: ${JSON.stringify(m)}`);
  }
  g.close();
});

test('a reply to a request without id has no id', async () => {
  const c = await Client.connect(server);
  c.send({ type: 'bogus' });
  const r = await c.waitFor('error');
  assert.equal(r.code, 'bad_message');
  assert.ok(!('id' in r) || r.id === null, JSON.stringify(r));
  c.close();
});

test('error shape: type, id, code, message', async () => {
  const c = await Client.connect(server);
  const r = await c.request({ type: 'bogus', id: 'e1' });
  assert.equal(r.type, 'error');
  assert.equal(r.id, 'e1');
  assert.equal(r.code, 'bad_message');
  assert.equal(typeof r.message, 'string');
  assert.ok(r.message.length > 0);
  c.close();
});

test('bad_json, and the connection stays open', async () => {
  const c = await Client.connect(server);
  for (const raw of ['{', 'not json', '{"type":"join",}', '']) {
    const from = c.mark();
    c.sendRaw(raw);
    const r = await c.waitFor('error', { from });
    assert.equal(r.code, 'bad_json', raw);
  }
  await alive(c);
  c.close();
});

test('bad_message: not an object, no/unknown/mistyped type, missing or mistyped fields, malformed token', async () => {
  const f = await facilitator(server);
  const { code } = await startSession(f);
  const c = await Client.connect(server);
  for (const raw of ['[1,2]', '"join"', '42', 'null', 'true']) {
    const from = c.mark();
    c.sendRaw(raw);
    assert.equal((await c.waitFor('error', { from })).code, 'bad_message', raw);
  }
  const cases = [
    {}, { type: 42 }, { type: 'nope' }, { type: null },
    { type: 'join', code }, { type: 'join', token: token() }, { type: 'join', code: 482913, token: token() },
    { type: 'join', code, token: 'short' }, { type: 'join', code, token: 'a'.repeat(21) }, { type: 'join', code, token: 'a'.repeat(65) },
    { type: 'join', code, token: 'a'.repeat(21) + '!' }, { type: 'join', code, token: 'a'.repeat(21) + 'é' },
    { type: 'join', code, token: 12345678901234567890123 },
    { type: 'watch' }, { type: 'watch', code: 1 }, { type: 'host' }, { type: 'host', key: 5 },
  ];
  for (const req of cases) {
    const r = await c.request(req);
    assert.equal(r.type, 'error', JSON.stringify(req));
    assert.equal(r.code, 'bad_message', `${JSON.stringify(req)} -> ${JSON.stringify(r)}`);
  }
  // id mistyped: bad_message, and no role taken
  for (const id of [5, {}, ['x'], true]) {
    const from = c.mark();
    c.send({ type: 'join', code, token: token(), id });
    assert.equal((await c.waitFor((m) => m.type === 'error' || m.type === 'joined', { from })).code, 'bad_message', JSON.stringify(id));
  }
  // tokens of exactly 22 and 64 characters are fine
  const p22 = await Client.connect(server);
  assert.equal((await p22.request({ type: 'join', code, token: 'A-_'.repeat(7) + 'z' })).type, 'joined');
  const p64 = await Client.connect(server);
  assert.equal((await p64.request({ type: 'join', code, token: 'b'.repeat(64) })).type, 'joined');
  // facilitator commands with missing/mistyped fields
  for (const req of [{ type: 'start' }, { type: 'start', scenario: 1 }, { type: 'goto', code }, { type: 'goto', stage: 1 },
    { type: 'goto', code, stage: true }, { type: 'open', code }, { type: 'open', code, question: 5 },
    { type: 'close', code }, { type: 'reveal', code }, { type: 'hide', code }, { type: 'moderate', code, perspective: 'x' },
    { type: 'moderate', code, perspective: 'x', action: 'delete' }, { type: 'end' }, { type: 'attach' },
    { type: 'start', scenario: 'conf', options: { min_group: 'x' } }, { type: 'start', scenario: 'conf', options: { live: 'yes' } }]) {
    const rr = await f.request(req);
    assert.equal(rr.code, 'bad_message', `${JSON.stringify(req)} -> ${JSON.stringify(rr)}`);
  }
  // participant requests with missing fields
  const p = await participant(server, code);
  for (const req of [{ type: 'vote', question: 'pick' }, { type: 'vote', ballot: { choice: 'a' } },
    { type: 'perspective', question: 'voices' },
    { type: 'perspective', question: 'voices', text: 5 }, { type: 'endorse' }, { type: 'endorse', perspective: 3 }]) {
    const rr = await p.request(req);
    assert.equal(rr.code, 'bad_message', `${JSON.stringify(req)} -> ${JSON.stringify(rr)}`);
  }
  for (const x of [c, f, p, p22, p64]) { await alive(x); x.close(); }
});

test('binary frame -> bad_message, connection stays open', async () => {
  const c = await Client.connect(server);
  c.sendRaw(Buffer.from(JSON.stringify({ type: 'host', key: KEY })), { binary: true });
  const r = await c.waitFor('error');
  assert.equal(r.code, 'bad_message');
  await alive(c);
  // and the binary host did not give the connection a role
  assert.equal((await c.request({ type: 'host', key: KEY })).type, 'hosting');
  c.close();
});

test('frames above 64 KiB close with 1009; exactly 64 KiB does not', async () => {
  const c = await Client.connect(server);
  const pad = (n) => { const base = JSON.stringify({ type: 'bogus', pad: '' }); return JSON.stringify({ type: 'bogus', pad: 'x'.repeat(n - base.length) }); };
  const exact = pad(64 * 1024);
  assert.equal(Buffer.byteLength(exact), 65536);
  const from = c.mark();
  c.sendRaw(exact);
  const r = await c.waitFor('error', { from });
  assert.ok(['bad_message', 'too_large'].includes(r.code));
  await alive(c);
  c.sendRaw(pad(64 * 1024 + 1));
  const closed = await c.closed;
  assert.equal(closed.code, 1009);
});

test('a fragmented message is one message; fragments above 64 KiB in all close with 1009', async () => {
  const c = await Client.connect(server);
  const small = JSON.stringify({ type: 'bogus', id: 'frag' });
  c.ws.send(small.slice(0, 10), { fin: false });
  c.ws.send(small.slice(10), { fin: true });
  assert.equal((await c.waitFor((m) => m.id === 'frag')).code, 'bad_message');
  const body = JSON.stringify({ type: 'bogus', pad: 'x'.repeat(90000) });
  c.ws.send(body.slice(0, 30000), { fin: false });
  c.ws.send(body.slice(30000, 60000), { fin: false });
  c.ws.send(body.slice(60000), { fin: true });
  assert.equal((await c.closed).code, 1009);
});

test('invalid UTF-8 split across fragments closes with 1007', async () => {
  const c = await Client.connect(server);
  const frame = (data, opcode, fin) => c.ws._sender.send(Buffer.from(data), { binary: false, fin, mask: true, rsv1: false, opcode }, () => {});
  frame('{"type":"bogus","a":"', 1, false);
  frame([0xe2, 0x82], 0, false);
  frame([0x22, 0x7d], 0, true);
  assert.equal((await c.closed).code, 1007);
});

test('invalid UTF-8 in a text frame closes with 1007', async () => {
  const c = await Client.connect(server);
  // ws validates outgoing text only if asked; send raw bytes as a text frame
  c.ws._sender.send(Buffer.from([0x7b, 0x22, 0x74, 0xff, 0xfe, 0x22, 0x7d]), { binary: false, fin: true, mask: true, rsv1: false, opcode: 1 }, () => {});
  const closed = await c.closed;
  assert.equal(closed.code, 1007);
});

test('id over 64 characters -> too_large; 64 characters (code points) is fine', async () => {
  const c = await Client.connect(server);
  const r = await c.request({ type: 'bogus', id: 'i'.repeat(65) });
  assert.equal(r.code, 'too_large');
  const r64 = await c.request({ type: 'host', key: KEY, id: 'i'.repeat(64) });
  assert.equal(r64.type, 'hosting');
  assert.equal(r64.id, 'i'.repeat(64));
  const emoji = '😀'.repeat(64);
  const re = await c.request({ type: 'attach', code: '000000', id: emoji });
  assert.notEqual(re.code, 'too_large', '64 emoji are 64 characters');
  assert.equal(re.id, emoji);
  const re65 = await c.request({ type: 'attach', code: '000000', id: emoji + '😀' });
  assert.equal(re65.code, 'too_large');
  // too_large never changes state: a start with an over-long id creates no session
  const before = (await c.request({ type: 'host', key: KEY })).sessions?.length;
  const big = await c.request({ type: 'start', scenario: 'conf', id: 'x'.repeat(65) });
  assert.equal(big.code, 'too_large');
  const after = await Client.connect(server);
  const h = await after.request({ type: 'host', key: KEY });
  if (before !== undefined) assert.equal(h.sessions.length, before);
  c.close(); after.close();
});

test('unauthorized: wrong key, and a participant or projector sending facilitator commands', async () => {
  const c = await Client.connect(server);
  assert.equal((await c.request({ type: 'host', key: 'wrong-key-xxxxxxxxxxxx' })).code, 'unauthorized');
  await alive(c);
  const g = await group(server, 1);
  const w = await Client.connect(server);
  await w.ok({ type: 'watch', code: g.code });
  const cmds = [{ type: 'start', scenario: 'conf' }, { type: 'goto', code: g.code, stage: 1 }, { type: 'open', code: g.code, question: 'pick' },
    { type: 'close', code: g.code, question: 'pick' }, { type: 'reveal', code: g.code, question: 'pick' },
    { type: 'hide', code: g.code, question: 'pick' }, { type: 'moderate', code: g.code, perspective: 'x', action: 'show' },
    { type: 'end', code: g.code }, { type: 'attach', code: g.code }];
  for (const who of [g.ps[0], w, c]) {
    for (const cmd of cmds) {
      const r = await who.request(cmd);
      assert.equal(r.code, 'unauthorized', `${JSON.stringify(cmd)} -> ${JSON.stringify(r)}`);
    }
  }
  // nothing happened: the session is still at stage 0 and not ended
  const a = await g.f.ok({ type: 'attach', code: g.code });
  assert.equal(a.session.stage.index, 0);
  assert.equal(a.session.ended, false);
  // a projector cannot vote
  const vw = await w.request({ type: 'vote', question: 'pick', ballot: { choice: 'a' } });
  assert.equal(vw.type, 'error');
  g.close(); w.close(); c.close();
});

test('not_joined: vote, perspective, endorse without a role', async () => {
  const c = await Client.connect(server);
  for (const req of [{ type: 'vote', question: 'pick', ballot: { choice: 'a' } }, { type: 'perspective', question: 'voices', text: 'x' },
    { type: 'endorse', perspective: 'p' }]) {
    assert.equal((await c.request(req)).code, 'not_joined', JSON.stringify(req));
  }
  await alive(c);
  c.close();
});

test('unknown_code, unknown_scenario, unknown_stage, unknown_question, unknown_perspective', async () => {
  const g = await group(server, 1);
  const { f, code, ps: [p] } = g;
  const other = code === '999999' ? '999998' : '999999';
  const c = await Client.connect(server);
  assert.equal((await c.request({ type: 'join', code: other, token: token() })).code, 'unknown_code');
  assert.equal((await c.request({ type: 'watch', code: other })).code, 'unknown_code');
  for (const cmd of [{ type: 'attach', code: other }, { type: 'goto', code: other, stage: 0 }, { type: 'open', code: other, question: 'pick' },
    { type: 'end', code: other }]) assert.equal((await f.request(cmd)).code, 'unknown_code', JSON.stringify(cmd));
  assert.equal((await f.request({ type: 'start', scenario: 'nope' })).code, 'unknown_scenario');
  // a negative index names no stage either (docs/protocol.md, Decisions)
  for (const stage of [11, -1, 1000, 'nope', 1.5]) {
    const r = await f.request({ type: 'goto', code, stage });
    assert.ok(r.code === 'unknown_stage' || (stage === 1.5 && r.code === 'bad_message'), `${stage} -> ${JSON.stringify(r)}`);
  }
  for (const question of ['nope', 'intro', 'talk', 'pick-again']) {
    for (const t of ['open', 'close', 'reveal', 'hide']) {
      const r = await f.request({ type: t, code, question });
      assert.equal(r.code, 'unknown_question', `${t} ${question} -> ${JSON.stringify(r)}`);
    }
  }
  assert.equal((await p.request({ type: 'vote', question: 'nope', ballot: { choice: 'a' } })).code, 'unknown_question');
  assert.equal((await p.request({ type: 'vote', question: 'intro', ballot: { choice: 'a' } })).code, 'unknown_question');
  assert.equal((await p.request({ type: 'perspective', question: 'nope', text: 'x' })).code, 'unknown_question');
  assert.equal((await p.request({ type: 'endorse', perspective: 'nope' })).code, 'unknown_perspective');
  assert.equal((await f.request({ type: 'moderate', code, perspective: 'nope', action: 'show' })).code, 'unknown_perspective');
  await alive(f); await alive(p); await alive(c);
  g.close(); c.close();
});

test('voting_closed before open and after close; session_ended after end', async () => {
  const g = await group(server, 1);
  const { f, code, ps: [p] } = g;
  assert.equal((await p.request({ type: 'vote', question: 'pick', ballot: { choice: 'a' } })).code, 'voting_closed');
  assert.equal((await p.request({ type: 'perspective', question: 'voices', text: 'hi' })).code, 'voting_closed');
  await f.ok({ type: 'open', code, question: 'pick' });
  await p.ok({ type: 'vote', question: 'pick', ballot: { choice: 'a' } });
  await f.ok({ type: 'close', code, question: 'pick' });
  assert.equal((await p.request({ type: 'vote', question: 'pick', ballot: { choice: 'b' } })).code, 'voting_closed');
  const j = await p.ok({ type: 'join', code, token: p.token });
  assert.deepEqual(j.session.mine.pick, { choice: 'a' });
  await f.ok({ type: 'open', code, question: 'scale' });
  await f.ok({ type: 'end', code });
  assert.equal((await p.request({ type: 'vote', question: 'scale', ballot: { value: 2 } })).code, 'session_ended');
  assert.equal((await p.request({ type: 'perspective', question: 'voices', text: 'late' })).code, 'session_ended');
  assert.equal((await p.request({ type: 'endorse', perspective: 'whatever' })).code, 'session_ended');
  assert.equal((await f.request({ type: 'reveal', code, question: 'pick' })).code, 'session_ended');
  assert.equal((await f.request({ type: 'moderate', code, perspective: 'whatever', action: 'show' })).code, 'session_ended');
  assert.equal((await f.request({ type: 'open', code, question: 'pick' })).code, 'session_ended');
  assert.equal((await f.request({ type: 'goto', code, stage: 2 })).code, 'session_ended');
  g.close();
});

test('invalid_ballot: every way a ballot does not fit, and state is unchanged', async () => {
  const g = await group(server, 1);
  const { f, code, ps: [p] } = g;
  for (const q of ['pick', 'multi', 'scale', 'points', 'rank', 'mo', 'moa', 'voices']) await f.ok({ type: 'open', code, question: q });
  const bad = {
    // a ballot that is not an object does not fit either (docs/protocol.md, Decisions)
    pick: ['a', ['a'], 3, {}, { choice: 'zz' }, { choice: 1 }, { choices: ['a', 'b'] }, { choices: [] }, { choice: 'a', extra: undefined, choices: ['b'] }],
    multi: [{ choices: ['o1', 'o2', 'o3'] }, { choices: ['o1', 'o1'] }, { choices: [] }, { choices: ['zz'] }, { choice: 'zz' }],
    scale: [{ value: 0 }, { value: 6 }, { value: 2.5 }, { value: '3' }, {}, { choice: 'a' }],
    points: [{ points: { p: 5, q: 4 } }, { points: { p: 11 } }, { points: { p: 12, q: -2 } }, { points: { p: 5.5, q: 4.5 } },
      { points: { p: 5, zz: 5 } }, { points: [] }, {}],
    rank: [{ order: ['w', 'x', 'y'] }, { order: ['w', 'x', 'y', 'y'] }, { order: ['w', 'x', 'y', 'z', 'zz'] }, { order: ['w', 'x', 'y', 'q'] }, {}],
    mo: [{ outcomes: { m1: 'o1' } }, { outcomes: { m1: 'o1', m2: 'zz' } }, { outcomes: { m1: 'o1', m2: 'o2', m3: 'o1' } }, {}],
    voices: [{ choice: 'a' }, { text: 'hi' }],
  };
  for (const [q, list] of Object.entries(bad)) {
    for (const ballot of list) {
      const r = await p.request({ type: 'vote', question: q, ballot });
      assert.equal(r.code, 'invalid_ballot', `${q} ${JSON.stringify(ballot)} -> ${JSON.stringify(r)}`);
    }
  }
  // perspective for a non-text question, empty text, too long text
  assert.equal((await p.request({ type: 'perspective', question: 'pick', text: 'hello' })).code, 'invalid_ballot');
  assert.equal((await p.request({ type: 'perspective', question: 'voices', text: '' })).code, 'invalid_ballot');
  assert.equal((await p.request({ type: 'perspective', question: 'voices', text: ' \t\n\u00a0\u3000 ' })).code, 'invalid_ballot');
  assert.equal((await p.request({ type: 'perspective', question: 'voices', text: '12345678901' })).code, 'invalid_ballot');
  // nothing was stored
  const j = await p.ok({ type: 'join', code, token: p.token });
  assert.deepEqual(Object.keys(j.session.mine).filter((k) => k !== 'voices'), []);
  const a = await f.ok({ type: 'attach', code });
  if (a.session.questions) for (const [q, s] of Object.entries(a.session.questions)) assert.ok(!s.ballots, `${q} has ballots ${JSON.stringify(s)}`);
  g.close();
});

test('endorsing one\'s own perspective -> invalid_ballot; endorsing an unshown one is refused', async () => {
  const g = await group(server, 3);
  const { f, code, ps } = g;
  await f.ok({ type: 'open', code, question: 'voices' });
  const ids = [];
  const fm = f.mark();
  for (const [i, p] of ps.entries()) await p.ok({ type: 'perspective', question: 'voices', text: `view ${i}` });
  const items = (await f.waitFor((m) => m.type === 'perspectives' && m.items.length === 3, { from: fm })).items;
  for (const it of items) ids.push(it.id);
  const own = items.find((it) => it.text === 'view 0').id;
  const other = items.find((it) => it.text === 'view 1').id;
  const r = await ps[1].request({ type: 'endorse', perspective: other });
  assert.equal(r.type, 'error', 'endorsed a perspective not shown');
  await f.ok({ type: 'moderate', code, perspective: own, action: 'show' });
  await f.ok({ type: 'moderate', code, perspective: other, action: 'show' });
  assert.equal((await ps[0].request({ type: 'endorse', perspective: own })).code, 'invalid_ballot');
  await ps[0].ok({ type: 'endorse', perspective: other });
  g.close();
});

test('a bad message changes no state (start with bad options creates no session; bad vote keeps the old ballot)', async () => {
  const g = await group(server, 1);
  const { f, code, ps: [p] } = g;
  const h1 = (await (await facilitator(server)).hosting).sessions.length;
  await f.request({ type: 'start', scenario: 'conf', options: { min_group: 'x' } });
  await f.request({ type: 'start', scenario: 'nope' });
  const f2 = await facilitator(server);
  assert.equal(f2.hosting.sessions.length, h1);
  await f.ok({ type: 'open', code, question: 'pick' });
  await p.ok({ type: 'vote', question: 'pick', ballot: { choice: 'b' } });
  await p.request({ type: 'vote', question: 'pick', ballot: { choice: 'zz' } });
  await p.request({ type: 'vote', question: 'pick', ballot: 'zz' });
  const j = await p.ok({ type: 'join', code, token: p.token });
  assert.deepEqual(j.session.mine.pick, { choice: 'b' });
  g.close(); f2.close();
});

test('idempotent: goto same stage, open open, close closed, reveal revealed, hide hidden, moderate same, second endorse', async () => {
  const g = await group(server, 3);
  const { f, code, ps } = g;
  let pm = ps[0].mark();
  await f.ok({ type: 'goto', code, stage: 'pick' });
  await ps[0].waitFor('stage', { from: pm });
  pm = ps[0].mark();
  await f.ok({ type: 'goto', code, stage: 'pick' });
  await f.ok({ type: 'goto', code, stage: 1 });
  await f.ok({ type: 'open', code, question: 'pick' });
  await ps[0].waitFor('round', { from: pm });
  await f.ok({ type: 'open', code, question: 'pick' });
  for (const p of ps) await p.ok({ type: 'vote', question: 'pick', ballot: { choice: 'a' } });
  await f.ok({ type: 'close', code, question: 'pick' });
  await f.ok({ type: 'close', code, question: 'pick' });
  await f.ok({ type: 'reveal', code, question: 'pick' });
  await f.ok({ type: 'reveal', code, question: 'pick' });
  await f.ok({ type: 'hide', code, question: 'pick' });
  await f.ok({ type: 'hide', code, question: 'pick' });
  await sleep(300);
  const rounds = ps[0].since(pm, 'round');
  assert.deepEqual(rounds.map((r) => [r.round, r.status]), [[1, 'open'], [1, 'closed']], 'a repeated open/close was applied');
  assert.equal(ps[0].since(pm, 'stage').length, 0, 'goto to the shown stage pushed a stage');
  assert.equal(ps[0].since(pm, 'hidden').length, 1, 'repeated hide pushed twice');
  const a = await f.ok({ type: 'attach', code });
  assert.equal(a.session.stage.round, 1);
  // the round counter did not move
  await f.ok({ type: 'open', code, question: 'pick' });
  const r2 = await ps[0].waitFor((m) => m.type === 'round' && m.status === 'open', { from: pm + 1 });
  assert.equal(r2.round, 2);
  // perspectives: moderate twice, endorse twice
  await f.ok({ type: 'open', code, question: 'voices' });
  const fm = f.mark();
  for (const [i, p] of ps.entries()) await p.ok({ type: 'perspective', question: 'voices', text: `t${i}` });
  const items = (await f.waitFor((m) => m.type === 'perspectives' && m.items.length === 3, { from: fm })).items;
  const pid = items.find((x) => x.text === 't0').id;
  await f.ok({ type: 'moderate', code, perspective: pid, action: 'show' });
  await f.ok({ type: 'moderate', code, perspective: pid, action: 'show' });
  await ps[1].ok({ type: 'endorse', perspective: pid });
  await ps[1].ok({ type: 'endorse', perspective: pid });
  // counts move in steps of min_group (3) endorsers: two more, and the twice-endorsed one counts once
  const extra = await participant(server, code);
  await ps[2].ok({ type: 'endorse', perspective: pid });
  await extra.ok({ type: 'endorse', perspective: pid });
  await sleep(300);
  const last = lastOf(f, (m) => m.type === 'perspectives' && m.question === 'voices');
  assert.equal(last.items.find((x) => x.id === pid).endorsements, 3);
  extra.close();
  await f.ok({ type: 'moderate', code, perspective: pid, action: 'hide' });
  await f.ok({ type: 'moderate', code, perspective: pid, action: 'hide' });
  g.close();
});

test('a request repeated with the same id and content is acked again and applied once; other content is new', async () => {
  const g = await group(server, 3);
  const { f, code, ps } = g;
  await f.ok({ type: 'open', code, question: 'voices' });
  await f.ok({ type: 'open', code, question: 'pick' });
  const [p] = ps;
  const a1 = await p.request({ type: 'perspective', id: 'same', question: 'voices', text: 'once' });
  const a2 = await p.request({ type: 'perspective', id: 'same', question: 'voices', text: 'once' });
  assert.equal(a1.type, 'ack'); assert.equal(a2.type, 'ack');
  // from another connection of the same participant too
  const p2 = await participant(server, code, p.token);
  assert.equal((await p2.request({ type: 'perspective', id: 'same', question: 'voices', text: 'once' })).type, 'ack');
  // same id, other content: a new request
  assert.equal((await p.request({ type: 'perspective', id: 'same', question: 'voices', text: 'twice' })).type, 'ack');
  await sleep(300);
  const j = await p.ok({ type: 'join', code, token: p.token });
  const mine = j.session.mine.voices;
  const texts = JSON.stringify(mine);
  assert.equal((texts.match(/"once"/g) || []).length, 1, `applied more than once: ${texts}`);
  assert.equal((texts.match(/"twice"/g) || []).length, 1, `reused id with other content was not applied: ${texts}`);
  // votes: v1 a, v2 b, resend v1 a (applied once: stays b), v1 c (new: c)
  await p.ok({ type: 'vote', id: 'v1', question: 'pick', ballot: { choice: 'a' } });
  await p.ok({ type: 'vote', id: 'v2', question: 'pick', ballot: { choice: 'b' } });
  assert.equal((await p.request({ type: 'vote', id: 'v1', question: 'pick', ballot: { choice: 'a' } })).type, 'ack');
  assert.deepEqual((await p.ok({ type: 'join', code, token: p.token })).session.mine.pick, { choice: 'b' });
  assert.equal((await p.request({ type: 'vote', id: 'v1', question: 'pick', ballot: { choice: 'c' } })).type, 'ack');
  assert.deepEqual((await p.ok({ type: 'join', code, token: p.token })).session.mine.pick, { choice: 'c' });
  // another participant using the same id is a different request
  assert.equal((await ps[1].request({ type: 'perspective', id: 'same', question: 'voices', text: 'once' })).type, 'ack');
  await sleep(200);
  const items = lastOf(f, (m) => m.type === 'perspectives' && m.question === 'voices').items;
  assert.equal(items.filter((x) => x.text === 'once').length, 2);
  g.close(); p2.close();
});

test('text: trimmed of Unicode white space, stored trimmed; lengths in code points (emoji, combining marks)', async () => {
  const g = await group(server, 3);
  const { f, code, ps } = g;
  await f.ok({ type: 'open', code, question: 'voices' });
  const [p, q, r] = ps;
  const fm = f.mark();
  // max_length is 10
  await p.ok({ type: 'perspective', question: 'voices', text: '\u3000\u00a0  hello \t\n\u2003' });
  await p.ok({ type: 'perspective', question: 'voices', text: '😀'.repeat(10) });
  assert.equal((await q.request({ type: 'perspective', question: 'voices', text: '😀'.repeat(11) })).code, 'invalid_ballot');
  await q.ok({ type: 'perspective', question: 'voices', text: 'e\u0301'.repeat(5) }); // 10 code points
  assert.equal((await q.request({ type: 'perspective', question: 'voices', text: 'e\u0301'.repeat(5) + 'x' })).code, 'invalid_ballot');
  await r.ok({ type: 'perspective', question: 'voices', text: '   0123456789   ' }); // 10 after trimming
  await r.ok({ type: 'perspective', question: 'voices', text: '\u2028\u0085\u1680ok\u205f\u3000' }); // more White_Space
  const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}'; // 5 code points
  await r.ok({ type: 'perspective', question: 'voices', text: family + family });
  assert.equal((await p.request({ type: 'perspective', question: 'voices', text: family + family + '!' })).code, 'invalid_ballot');
  await sleep(300);
  const items = lastOf(f, (m) => m.type === 'perspectives' && m.question === 'voices', fm).items;
  const texts = items.map((x) => x.text).sort();
  assert.deepEqual(texts, ['0123456789', 'e\u0301'.repeat(5), 'hello', '😀'.repeat(10), 'ok',
    '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}'.repeat(2)].sort());
  g.close();
});

test('a resend of an applied vote is acked even after its round closed, and is not applied to a new round', async () => {
  const g = await group(server, 3);
  const { f, code, ps } = g;
  const [p] = ps;
  await f.ok({ type: 'open', code, question: 'pick' });
  await p.ok({ type: 'vote', id: 'late-1', question: 'pick', ballot: { choice: 'a' } });
  await f.ok({ type: 'close', code, question: 'pick' });
  // the client lost the ack and retries after the close
  const r = await p.request({ type: 'vote', id: 'late-1', question: 'pick', ballot: { choice: 'a' } });
  assert.equal(r.type, 'ack', `a resend after close: ${JSON.stringify(r)}`);
  await f.ok({ type: 'open', code, question: 'pick' });
  const r2 = await p.request({ type: 'vote', id: 'late-1', question: 'pick', ballot: { choice: 'a' } });
  assert.equal(r2.type, 'ack');
  const j = await p.ok({ type: 'join', code, token: p.token });
  assert.ok(!('pick' in j.session.mine), `the resend was applied to round 2: ${JSON.stringify(j.session.mine)}`);
  g.close();
});

test('unknown fields in a request are ignored', async () => {
  const g = await group(server, 1);
  const { f, code, ps: [p] } = g;
  await f.ok({ type: 'open', code, question: 'pick', extra: 1 });
  await p.ok({ type: 'vote', question: 'pick', ballot: { choice: 'a' }, client: 'x' });
  g.close();
});
