// protocol.md "Roles": participant, facilitator, projector, and the facilitator's commands.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, Client, facilitator, participant, projector, startSession, group, alive, token, sleep, KEY, scenarioDir } from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

test('a second role on a connection -> bad_message; the same join again -> joined', async () => {
  const f = await facilitator(server);
  const { code } = await startSession(f);
  const { code: code2 } = await startSession(f);
  const p = await participant(server, code);
  for (const req of [{ type: 'host', key: KEY }, { type: 'watch', code }, { type: 'join', code, token: token() },
    { type: 'join', code: code2, token: p.token }]) {
    assert.equal((await p.request(req)).code, 'bad_message', JSON.stringify(req));
  }
  const again = await p.request({ type: 'join', code, token: p.token });
  assert.equal(again.type, 'joined');
  assert.equal(again.session.code, code);
  const w = await projector(server, code);
  for (const req of [{ type: 'host', key: KEY }, { type: 'join', code, token: token() }, { type: 'watch', code: code2 }])
    assert.equal((await w.request(req)).code, 'bad_message', JSON.stringify(req));
  for (const req of [{ type: 'join', code, token: token() }, { type: 'watch', code }])
    assert.equal((await f.request(req)).code, 'bad_message', JSON.stringify(req));
  // the facilitator is still a facilitator, the participant still votes
  await f.ok({ type: 'open', code, question: 'pick' });
  await p.ok({ type: 'vote', question: 'pick', ballot: { choice: 'a' } });
  // a failed first join leaves no role: the connection may still join
  const c = await Client.connect(server);
  assert.equal((await c.request({ type: 'join', code: code === '123456' ? '123457' : '123456', token: token() })).code, 'unknown_code');
  assert.equal((await c.request({ type: 'join', code, token: token() })).type, 'joined');
  f.close(); p.close(); w.close(); c.close();
});

test('hosting: scenarios with id/title/summary; sessions with code/scenario/participants/ended, ended and after restart', async () => {
  const s = await startServer();
  const f = await facilitator(s);
  const conf = f.hosting.scenarios.find((x) => x.id === 'conf');
  // The contract's three fields; a server may add more (Roundtable adds `source`, docs/protocol.md).
  const { id, title, summary } = conf;
  assert.deepEqual({ id, title, summary }, { id: 'conf', title: 'Conformance case', summary: 'Every question type once, for the conformance tests.' });
  assert.deepEqual(f.hosting.sessions, []);
  const { code: c1 } = await startSession(f);
  const { code: c2 } = await startSession(f);
  await participant(s, c1);
  await participant(s, c1);
  await f.ok({ type: 'end', code: c2 });
  await sleep(300);
  const h = await facilitator(s);
  const byCode = Object.fromEntries(h.hosting.sessions.map((x) => [x.code, x]));
  assert.deepEqual(Object.keys(byCode).sort(), [c1, c2].sort());
  assert.equal(byCode[c1].scenario, 'conf');
  assert.equal(byCode[c1].ended, false);
  assert.equal(byCode[c2].ended, true);
  assert.equal(byCode[c1].participants, 2);
  assert.equal(byCode[c2].participants, 0);
  for (const x of h.hosting.sessions) assert.match(x.code, /^\d{6}$/);
  await s.stop();
  const s2 = await startServer({ db: s.db, scenarios: s.scenarios });
  const h2 = await facilitator(s2);
  assert.deepEqual(h2.hosting.sessions.map((x) => x.code).sort(), [c1, c2].sort());
  assert.equal(h2.hosting.sessions.find((x) => x.code === c2).ended, true);
  const j = await participant(s2, c2);
  assert.equal(j.joined.session.ended, true);
  await s2.stop();
});

test('start: min_group may raise --min-group but never lower it; live shows in the view', async () => {
  const f = await facilitator(server);
  const a = await f.ok({ type: 'start', scenario: 'conf', options: { min_group: 5, live: true } });
  assert.equal(a.type, 'started');
  assert.match(a.code, /^\d{6}$/);
  assert.equal(a.session.code, a.code);
  assert.equal(a.session.min_group, 5);
  assert.equal(a.session.live, true);
  const b = await f.ok({ type: 'start', scenario: 'conf', options: { min_group: 1 } });
  assert.equal(b.session.min_group, 3);
  assert.equal(b.session.live, false);
  const c = await f.ok({ type: 'start', scenario: 'conf' });
  assert.equal(c.session.min_group, 3);
  assert.equal(c.session.live, false);
  const p = await participant(server, b.code);
  assert.equal(p.joined.session.min_group, 3);
  assert.notEqual(a.code, b.code);
  f.close(); p.close();
});

test('the session keeps its copy of the scenario when the file is edited (running, new joins, after restart)', async () => {
  const dir = scenarioDir();
  const s = await startServer({ scenarios: dir });
  const f = await facilitator(s);
  const { code } = await startSession(f);
  const file = join(dir, 'conf.json');
  const sc = JSON.parse(readFileSync(file, 'utf8'));
  sc.title = 'Edited title';
  sc.stages[1].question.prompt = 'Edited prompt';
  sc.stages[1].question.options = [{ id: 'k', label: 'K' }, { id: 'l', label: 'L' }];
  sc.stages.splice(0, 1);
  writeFileSync(file, JSON.stringify(sc));
  await sleep(300);
  await f.ok({ type: 'goto', code, stage: 1 });
  const p = await participant(s, code);
  const v = p.joined.session;
  assert.equal(v.scenario.title, 'Conformance case');
  assert.equal(v.stage.id, 'pick');
  assert.equal(v.stage.question.prompt, 'Which one?');
  assert.deepEqual(v.stage.question.options.map((o) => o.id), ['a', 'b', 'c']);
  assert.equal(v.stage.count, 11);
  await f.ok({ type: 'open', code, question: 'pick' });
  await p.ok({ type: 'vote', question: 'pick', ballot: { choice: 'a' } });
  assert.equal((await p.request({ type: 'vote', question: 'pick', ballot: { choice: 'k' } })).code, 'invalid_ballot');
  await s.stop();
  const s2 = await startServer({ db: s.db, scenarios: dir });
  const p2 = await participant(s2, code);
  assert.equal(p2.joined.session.scenario.title, 'Conformance case');
  assert.equal(p2.joined.session.stage.question.prompt, 'Which one?');
  assert.equal(p2.joined.session.stage.count, 11);
  await s2.stop();
});

test('attach: joined with id, code and the facilitator\'s view, then results and perspectives of every question that has any', async () => {
  const g = await group(server, 3);
  const { f, code, ps } = g;
  await f.ok({ type: 'open', code, question: 'pick' });
  await f.ok({ type: 'open', code, question: 'voices' });
  for (const p of ps) await p.ok({ type: 'vote', question: 'pick', ballot: { choice: 'b' } });
  for (const p of ps) await p.ok({ type: 'perspective', question: 'voices', text: 'hi' });
  await f.ok({ type: 'close', code, question: 'pick' });
  const f2 = await facilitator(server);
  const from = f2.mark();
  const a = await f2.request({ type: 'attach', id: 'att', code });
  assert.equal(a.type, 'joined');
  assert.equal(a.id, 'att');
  assert.equal(a.code, code);
  assert.equal(a.session.code, code);
  assert.ok(Array.isArray(a.session.stages), 'the facilitator view holds the full stage list');
  assert.equal(a.session.stages.length, 11);
  const res = await f2.waitFor((m) => m.type === 'results' && m.question === 'pick', { from });
  assert.equal(res.code, code);
  assert.equal(res.ballots, 3);
  assert.deepEqual(res.tally.counts, { a: 0, b: 3, c: 0 });
  const per = await f2.waitFor((m) => m.type === 'perspectives' && m.question === 'voices', { from });
  assert.equal(per.code, code);
  assert.equal(per.items.length, 3);
  for (const it of per.items) assert.equal(typeof it.shown, 'boolean');
  await sleep(200);
  // reply first, then the pushes
  const idx = f2.msgs.indexOf(a);
  assert.ok(f2.msgs.indexOf(res) > idx && f2.msgs.indexOf(per) > idx);
  // no results for questions without any
  assert.deepEqual(f2.since(from, 'results').map((m) => m.question), ['pick']);
  g.close(); f2.close();
});

test('goto by index and by id pushes stage to everyone; goto never opens or closes a round', async () => {
  const g = await group(server, 1);
  const { f, code, ps: [p] } = g;
  const w = await projector(server, code);
  let from = p.mark();
  const wf = w.mark();
  await f.ok({ type: 'goto', code, stage: 3 });
  let st = await p.waitFor('stage', { from });
  assert.equal(st.stage.index, 3);
  assert.equal(st.stage.id, 'scale');
  assert.equal((await w.waitFor('stage', { from: wf })).stage.id, 'scale');
  const fs = await f.waitFor((m) => m.type === 'stage' && m.stage.id === 'scale');
  assert.equal(fs.code, code);
  from = p.mark();
  await f.ok({ type: 'goto', code, stage: 'rank' });
  st = await p.waitFor('stage', { from });
  assert.equal(st.stage.index, 5);
  assert.equal(st.stage.status, 'closed');
  await f.ok({ type: 'open', code, question: 'rank' });
  await f.ok({ type: 'goto', code, stage: 0 });
  await f.ok({ type: 'goto', code, stage: 'rank' });
  const a = await f.ok({ type: 'attach', code });
  assert.equal(a.session.stage.status, 'open');
  await p.ok({ type: 'vote', question: 'rank', ballot: { order: ['w', 'x', 'y', 'z'] } });
  // votes for a question that is not the current stage
  await f.ok({ type: 'open', code, question: 'pick' });
  await p.ok({ type: 'vote', question: 'pick', ballot: { choice: 'a' } });
  g.close(); w.close();
});

test('open with seconds: integers 5..3600 only; closes_in; the round closes by itself', async () => {
  const g = await group(server, 1);
  const { f, code, ps: [p] } = g;
  // null counts as absent (docs/protocol.md, Decisions)
  for (const seconds of [4, 3601, 0, -5, 5.5, '10', true, [10]]) {
    const r = await f.request({ type: 'open', code, question: 'pick', seconds });
    assert.equal(r.type, 'error', `seconds ${JSON.stringify(seconds)} -> ${JSON.stringify(r)}`);
    assert.ok(['bad_message', 'too_large'].includes(r.code), JSON.stringify(r));
  }
  // nothing opened
  assert.equal((await p.request({ type: 'vote', question: 'pick', ballot: { choice: 'a' } })).code, 'voting_closed');
  await f.ok({ type: 'open', code, question: 'scale', seconds: 3600 });
  const from = p.mark();
  const t0 = Date.now();
  await f.ok({ type: 'open', code, question: 'pick', seconds: 5 });
  const open = await p.waitFor((m) => m.type === 'round' && m.question === 'pick', { from });
  assert.equal(open.status, 'open');
  assert.equal(open.round, 1);
  assert.ok(open.closes_in <= 5 && open.closes_in >= 4, JSON.stringify(open));
  await p.ok({ type: 'vote', question: 'pick', ballot: { choice: 'a' } });
  // a participant joining during the timed round sees closes_in in its view
  const late = await participant(server, code);
  const closed = await p.waitFor((m) => m.type === 'round' && m.question === 'pick' && m.status === 'closed', { from, timeout: 8000 });
  const dt = Date.now() - t0;
  assert.ok(dt >= 4500 && dt <= 7000, `closed after ${dt} ms`);
  assert.equal(closed.round, 1);
  assert.equal(closed.closes_in, undefined);
  assert.equal((await p.request({ type: 'vote', question: 'pick', ballot: { choice: 'b' } })).code, 'voting_closed');
  const fc = await f.waitFor((m) => m.type === 'round' && m.question === 'pick' && m.status === 'closed');
  assert.equal(fc.code, code);
  g.close(); late.close();
});

test('open, close, reveal, hide, end push round, results, hidden, ended', async () => {
  const g = await group(server, 3);
  const { f, code, ps } = g;
  const w = await projector(server, code);
  const from = ps[0].mark();
  const wf = w.mark();
  await f.ok({ type: 'open', code, question: 'pick' });
  for (const p of ps) await p.ok({ type: 'vote', question: 'pick', ballot: { choice: 'c' } });
  await f.ok({ type: 'close', code, question: 'pick' });
  await ps[0].waitFor((m) => m.type === 'round' && m.status === 'closed', { from });
  assert.equal(ps[0].since(from, 'results').length, 0, 'results before reveal');
  await f.ok({ type: 'reveal', code, question: 'pick' });
  const r = await ps[0].waitFor('results', { from });
  assert.deepEqual(r.tally.counts, { a: 0, b: 0, c: 3 });
  await w.waitFor('results', { from: wf });
  await f.ok({ type: 'hide', code, question: 'pick' });
  assert.equal((await ps[0].waitFor('hidden', { from })).question, 'pick');
  await w.waitFor('hidden', { from: wf });
  await f.ok({ type: 'end', code });
  await ps[0].waitFor('ended', { from });
  await w.waitFor('ended', { from: wf });
  const fe = await f.waitFor('ended');
  assert.equal(fe.code, code);
  const j = await participant(server, code);
  assert.equal(j.joined.session.ended, true);
  assert.equal((await j.request({ type: 'vote', question: 'pick', ballot: { choice: 'a' } })).code, 'session_ended');
  const wj = await projector(server, code);
  assert.equal(wj.joined.session.ended, true);
  // attach on an ended session still works; the export too
  const a = await f.ok({ type: 'attach', code });
  assert.equal(a.session.ended, true);
  g.close(); w.close(); j.close(); wj.close();
});

test('a facilitator running two sessions at once gets `code` on every push', async () => {
  const f = await facilitator(server);
  const { code: c1 } = await startSession(f);
  const { code: c2 } = await startSession(f, { options: { live: true } });
  const ps1 = []; const ps2 = [];
  for (let i = 0; i < 3; i++) { ps1.push(await participant(server, c1)); ps2.push(await participant(server, c2)); }
  for (const code of [c1, c2]) {
    await f.ok({ type: 'goto', code, stage: 'voices' });
    await f.ok({ type: 'open', code, question: 'pick' });
    await f.ok({ type: 'open', code, question: 'voices' });
  }
  for (const [code, ps] of [[c1, ps1], [c2, ps2]]) {
    for (const p of ps) await p.ok({ type: 'vote', question: 'pick', ballot: { choice: 'a' } });
    for (const p of ps) await p.ok({ type: 'perspective', question: 'voices', text: 'x' });
    await f.ok({ type: 'close', code, question: 'pick' });
    await f.ok({ type: 'reveal', code, question: 'pick' });
    await f.ok({ type: 'hide', code, question: 'pick' });
    await f.ok({ type: 'end', code });
  }
  await sleep(500);
  const pushes = f.msgs.filter((m) => m.id === undefined);
  const types = new Set(pushes.map((m) => m.type));
  for (const t of ['stage', 'round', 'progress', 'results', 'perspectives', 'presence', 'hidden', 'ended']) assert.ok(types.has(t), `no ${t} push seen`);
  for (const m of pushes) assert.ok(m.code === c1 || m.code === c2, `push without code: ${JSON.stringify(m)}`);
  // participants' pushes are about their own session only
  for (const p of ps1) for (const m of p.msgs) if (m.code !== undefined) assert.equal(m.code, c1);
  f.close(); for (const p of [...ps1, ...ps2]) p.close();
});
