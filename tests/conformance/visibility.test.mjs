// protocol.md "Server pushes" (who receives what, when, and the anonymity rules) and "Views".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, Client, facilitator, participant, projector, startSession, group, token, sleep, lastOf, consensus, approx } from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

const isResults = (q) => (m) => m.type === 'results' && m.question === q;

test('round push (closes_in), progress never carries what was voted', async () => {
  const g = await group(server, 3);
  const { f, code, ps } = g;
  const w = await projector(server, code);
  const from = w.mark();
  await f.ok({ type: 'open', code, question: 'pick', seconds: 60 });
  const r = await w.waitFor('round', { from });
  assert.deepEqual(Object.keys(r).filter((k) => k !== '__at').sort(), ['closes_in', 'question', 'round', 'status', 'type']);
  assert.equal(r.closes_in, 60);
  await f.ok({ type: 'open', code, question: 'scale' });
  const r2 = await w.waitFor((m) => m.type === 'round' && m.question === 'scale', { from });
  assert.equal(r2.closes_in, undefined);
  for (const p of ps) await p.ok({ type: 'vote', question: 'pick', ballot: { choice: 'a' } });
  const pr = await w.waitFor((m) => m.type === 'progress' && m.ballots === 3, { from });
  assert.deepEqual(Object.keys(pr).filter((k) => k !== '__at').sort(), ['ballots', 'question', 'round', 'type']);
  assert.equal(pr.round, 1);
  const pp = await ps[0].waitFor((m) => m.type === 'progress' && m.ballots === 3);
  assert.ok(!('tally' in pp));
  const fp = await f.waitFor((m) => m.type === 'progress' && m.ballots === 3);
  assert.equal(fp.code, code);
  // no results to participants or projector before reveal (not live)
  await sleep(200);
  assert.equal(w.since(0, 'results').length, 0);
  assert.equal(ps[0].since(0, 'results').length, 0);
  g.close(); w.close();
});

test('results below min_group are suppressed for everyone, the facilitator included (tally absent)', async () => {
  const g = await group(server, 2, { options: { live: true } });
  const { f, code, ps } = g;
  const w = await projector(server, code);
  await f.ok({ type: 'open', code, question: 'pick' });
  for (const p of ps) await p.ok({ type: 'vote', question: 'pick', ballot: { choice: 'a' } });
  await f.ok({ type: 'close', code, question: 'pick' });
  await f.ok({ type: 'reveal', code, question: 'pick' });
  await sleep(300);
  for (const c of [f, w, ...ps]) {
    const rs = c.since(0, isResults('pick'));
    assert.ok(rs.length > 0, 'no results at all');
    for (const m of rs) { assert.equal(m.suppressed, true, JSON.stringify(m)); assert.ok(!('tally' in m), JSON.stringify(m)); }
  }
  const late = await participant(server, code);
  await sleep(200);
  for (const m of late.since(0, isResults('pick'))) assert.ok(!('tally' in m));
  const a = await f.ok({ type: 'attach', code });
  assert.ok(!JSON.stringify(a).includes('"counts"'), 'tally in the facilitator view below min_group');
  g.close(); w.close(); late.close();
});

test('open round: the facilitator gets a tally only after >= min_group distinct changed ballots; close pushes the exact tally', async () => {
  const g = await group(server, 6);
  const { f, code, ps } = g;
  await f.ok({ type: 'open', code, question: 'pick' });
  const from = f.mark();
  const votes = [[0, 'a'], [1, 'b'], [2, 'a'], [0, 'b'], [0, 'c'], [0, 'a'], [3, 'c'], [4, 'c'], [5, 'b'], [1, 'a']];
  const state = {};
  const snapshots = []; // tally after each vote, with the set of voters changed
  for (const [i, choice] of votes) {
    await ps[i].ok({ type: 'vote', question: 'pick', ballot: { choice } });
    state[i] = choice;
    const counts = { a: 0, b: 0, c: 0 };
    for (const v of Object.values(state)) counts[v]++;
    snapshots.push({ who: i, counts });
    await sleep(120);
  }
  await sleep(300);
  const tallies = f.since(from, (m) => isResults('pick')(m) && m.tally);
  // Which snapshot does each pushed tally match? The distinct voters between consecutive pushes must be >= 3.
  let lastIdx = -1;
  for (const t of tallies) {
    const idx = snapshots.findIndex((s, k) => k > lastIdx && JSON.stringify(s.counts) === JSON.stringify(sortKeys(t.tally.counts)));
    assert.ok(idx >= 0, `tally ${JSON.stringify(t.tally.counts)} matches no snapshot after ${lastIdx}`);
    const changed = new Set(snapshots.slice(lastIdx + 1, idx + 1).map((s) => s.who));
    assert.ok(changed.size >= 3, `tally pushed after only ${changed.size} changed participants: ${JSON.stringify(t)}`);
    lastIdx = idx;
  }
  assert.ok(tallies.length >= 1, 'no tally pushed during the round at all');
  // votes 0..2: three distinct participants -> the first tally is at snapshot 2
  assert.deepEqual(sortKeys(tallies[0].tally.counts), { a: 2, b: 1, c: 0 });
  for (const m of f.since(from, isResults('pick'))) if (!m.tally) assert.equal(m.suppressed, true);
  const cm = f.mark();
  await f.ok({ type: 'close', code, question: 'pick' });
  const final = await f.waitFor((m) => isResults('pick')(m) && m.tally, { from: cm });
  assert.deepEqual(final.tally.counts, { a: 3, b: 1, c: 2 });
  assert.equal(final.ballots, 6);
  assert.equal(final.suppressed, false);
  approx(final.tally.consensus, consensus({ a: 3, b: 1, c: 2 }), 0.006);
  g.close();
});

function sortKeys(o) { return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b))); }

test('reveal, join, watch and attach during an open round get the last tally pushed, never a fresher one', async () => {
  const g = await group(server, 5);
  const { f, code, ps } = g;
  const w = await projector(server, code);
  await f.ok({ type: 'open', code, question: 'pick' });
  await f.ok({ type: 'goto', code, stage: 'pick' });
  for (const p of ps.slice(0, 3)) await p.ok({ type: 'vote', question: 'pick', ballot: { choice: 'a' } });
  const t3 = await f.waitFor((m) => isResults('pick')(m) && m.tally);
  assert.deepEqual(t3.tally.counts, { a: 3, b: 0, c: 0 });
  await ps[3].ok({ type: 'vote', question: 'pick', ballot: { choice: 'b' } });
  await ps[4].ok({ type: 'vote', question: 'pick', ballot: { choice: 'b' } });
  await sleep(300);
  const pm = ps[0].mark(); const wm = w.mark();
  await f.ok({ type: 'reveal', code, question: 'pick' });
  const pr = await ps[0].waitFor((m) => isResults('pick')(m) && m.tally, { from: pm });
  assert.deepEqual(pr.tally.counts, { a: 3, b: 0, c: 0 }, 'reveal sent a fresher tally than the last one pushed');
  assert.deepEqual((await w.waitFor((m) => isResults('pick')(m) && m.tally, { from: wm })).tally.counts, { a: 3, b: 0, c: 0 });
  const late = await participant(server, code);
  const lw = await projector(server, code);
  const f2 = await facilitator(server);
  const fm = f2.mark();
  await f2.ok({ type: 'attach', code });
  await sleep(300);
  for (const c of [late, lw, f2]) {
    for (const m of c.since(0, isResults('pick'))) if (m.tally) assert.deepEqual(m.tally.counts, { a: 3, b: 0, c: 0 }, 'fresher tally on join/attach');
    const s = JSON.stringify(c.msgs);
    assert.ok(!s.includes('"b":2'), `fresher tally leaked: ${s.slice(0, 800)}`);
  }
  assert.ok(f2.since(fm, isResults('pick')).some((m) => m.tally), 'attach got no results');
  assert.ok(late.since(0, isResults('pick')).some((m) => m.tally) || JSON.stringify(late.joined).includes('"counts"'), 'a late joiner of a revealed question saw no results');
  // close: exact final tally to everyone who may see it
  const lm = late.mark();
  await f.ok({ type: 'close', code, question: 'pick' });
  const fin = await late.waitFor((m) => isResults('pick')(m) && m.tally, { from: lm });
  assert.deepEqual(fin.tally.counts, { a: 3, b: 2, c: 0 });
  g.close(); w.close(); late.close(); lw.close(); f2.close();
});

test('live sessions: participants get tallies during the round under the same rules; without live only after reveal', async () => {
  const g = await group(server, 3, { options: { live: true } });
  const { f, code, ps } = g;
  await f.ok({ type: 'open', code, question: 'scale' });
  for (const [i, p] of ps.entries()) await p.ok({ type: 'vote', question: 'scale', ballot: { value: i + 1 } });
  const r = await ps[0].waitFor((m) => isResults('scale')(m) && m.tally);
  assert.deepEqual(r.tally.histogram, { 1: 1, 2: 1, 3: 1, 4: 0, 5: 0 });
  g.close();
});

test('a new round hides a revealed question again (`hidden`) until the next reveal', async () => {
  const g = await group(server, 3);
  const { f, code, ps } = g;
  const w = await projector(server, code);
  await f.ok({ type: 'open', code, question: 'pick' });
  for (const p of ps) await p.ok({ type: 'vote', question: 'pick', ballot: { choice: 'a' } });
  await f.ok({ type: 'close', code, question: 'pick' });
  await f.ok({ type: 'reveal', code, question: 'pick' });
  await ps[0].waitFor(isResults('pick'));
  const pm = ps[0].mark(); const wm = w.mark();
  await f.ok({ type: 'open', code, question: 'pick' });
  const h = await ps[0].waitFor('hidden', { from: pm });
  assert.equal(h.question, 'pick');
  await w.waitFor('hidden', { from: wm });
  for (const p of ps) await p.ok({ type: 'vote', question: 'pick', ballot: { choice: 'b' } });
  await f.ok({ type: 'close', code, question: 'pick' });
  await sleep(300);
  assert.equal(ps[0].since(pm, isResults('pick')).length, 0, 'round 2 results before reveal');
  const j = await participant(server, code);
  await sleep(200);
  assert.ok(!JSON.stringify(j.msgs).includes('"counts"'), 'a joiner saw the hidden results');
  await f.ok({ type: 'reveal', code, question: 'pick' });
  const r = await ps[0].waitFor(isResults('pick'), { from: pm });
  assert.equal(r.round, 2);
  assert.deepEqual(r.tally.counts, { a: 0, b: 3, c: 0 });
  g.close(); w.close(); j.close();
});

test('tallies during an open round: at most 10 a second per question', async () => {
  const s = await startServer({ extra: ['--min-group', '1'] });
  try {
    const g = await group(s, 6);
    const { f, code, ps } = g;
    await f.ok({ type: 'open', code, question: 'scale' });
    const from = f.mark();
    const sends = [];
    for (let k = 0; k < 10; k++) for (const [i, p] of ps.entries()) sends.push(p.request({ type: 'vote', question: 'scale', ballot: { value: ((k + i) % 5) + 1 } }));
    // 60 votes over ~1 s: each participant sends 10 (well within 30 a second)
    await Promise.all(sends);
    await sleep(600);
    const ts = f.since(from, (m) => isResults('scale')(m) && m.tally).map((m) => m.__at);
    assert.ok(ts.length >= 1);
    for (let i = 0; i < ts.length; i++) {
      const inWindow = ts.filter((t) => t >= ts[i] && t < ts[i] + 1000).length;
      assert.ok(inWindow <= 10 + 1, `${inWindow} tallies within one second`); // +1: client-side timing jitter
    }
    // coalesced, not lost: once the burst is over the last tally pushed is the final state
    const hist = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 };
    for (let i = 0; i < 6; i++) hist[((9 + i) % 5) + 1]++;
    assert.deepEqual(lastOf(f, (m) => isResults('scale')(m) && m.tally).tally.histogram, hist);
    g.close();
  } finally { await s.stop(); }
});

test('perspectives: pre-moderated, hidden from all but the facilitator below min_group (counting hidden ones), shown flag', async () => {
  const g = await group(server, 3);
  const { f, code, ps } = g;
  const w = await projector(server, code);
  await f.ok({ type: 'goto', code, stage: 'voices' });
  await f.ok({ type: 'open', code, question: 'voices' });
  const fm = f.mark();
  await ps[0].ok({ type: 'perspective', question: 'voices', text: 'one' });
  await ps[1].ok({ type: 'perspective', question: 'voices', text: 'two' });
  let items = (await f.waitFor((m) => m.type === 'perspectives' && m.items.length === 2, { from: fm })).items;
  for (const it of items) {
    assert.deepEqual(Object.keys(it).sort(), ['endorsements', 'id', 'shown', 'text']);
    assert.equal(it.shown, false);
  }
  for (const it of items) await f.ok({ type: 'moderate', code, perspective: it.id, action: 'show' });
  await sleep(300);
  const seen = (c) => c.since(0, (m) => m.type === 'perspectives').flatMap((m) => m.items);
  assert.deepEqual(seen(ps[2]), [], 'shown below min_group');
  assert.deepEqual(seen(w), [], 'shown below min_group (projector)');
  // a third perspective, not shown: now 3 posted, so the 2 shown ones become visible
  const pm = ps[2].mark();
  await ps[2].ok({ type: 'perspective', question: 'voices', text: 'three' });
  const pv = await ps[2].waitFor((m) => m.type === 'perspectives' && m.items.length > 0, { from: pm });
  assert.deepEqual(pv.items.map((x) => x.text).sort(), ['one', 'two']);
  for (const it of pv.items) {
    assert.deepEqual(Object.keys(it).sort(), ['endorsements', 'id', 'text']);
  }
  const wv = await w.waitFor((m) => m.type === 'perspectives' && m.items.length > 0);
  assert.deepEqual(wv.items.map((x) => x.text).sort(), ['one', 'two']);
  const fl = await f.waitFor((m) => m.type === 'perspectives' && m.items.length === 3, { from: fm });
  assert.equal(fl.code, code);
  assert.equal(fl.items.find((x) => x.text === 'three').shown, false);
  assert.equal(fl.items.find((x) => x.text === 'one').shown, true);
  // withdraw one: the visible set shrinks
  const m2 = ps[0].mark();
  await f.ok({ type: 'moderate', code, perspective: fl.items.find((x) => x.text === 'one').id, action: 'hide' });
  const after = await ps[0].waitFor((m) => m.type === 'perspectives' && m.items.length === 1, { from: m2 });
  assert.deepEqual(after.items.map((x) => x.text), ['two']);
  // endorse counts move only in steps of min_group (3) distinct endorsers
  const two = after.items[0].id;
  const extra = await participant(server, code);
  await ps[0].ok({ type: 'endorse', perspective: two });
  await ps[2].ok({ type: 'endorse', perspective: two });
  await sleep(200);
  assert.ok(ps[0].since(m2, 'perspectives').every((m) => m.items.every((x) => x.endorsements === 0)), 'a count moved before 3 endorsed');
  await extra.ok({ type: 'endorse', perspective: two });
  const e = await ps[0].waitFor((m) => m.type === 'perspectives' && m.items[0]?.endorsements === 3, { from: m2 });
  assert.equal(e.items.length, 1);
  extra.close();
  // a late joiner sees the visible set of the current stage
  const late = await participant(server, code);
  await sleep(300);
  const lv = lastOf(late, (m) => m.type === 'perspectives');
  const joinedStage = JSON.stringify(late.joined);
  assert.ok((lv && lv.items.length === 1 && lv.items[0].text === 'two') || joinedStage.includes('"two"'), 'late joiner did not see the visible set');
  assert.ok(!JSON.stringify(late.msgs).includes('"three"') && !joinedStage.includes('"three"'));
  g.close(); w.close(); late.close();
});

test('presence counts distinct tokens: two connections with one token are one participant', async () => {
  const f = await facilitator(server);
  const { code } = await startSession(f);
  const t = token();
  const a = await participant(server, code, t);
  const b = await participant(server, code, t);
  await sleep(400);
  assert.equal(lastOf(f, (m) => m.type === 'presence').participants, 1);
  const c = await participant(server, code);
  await f.waitFor((m) => m.type === 'presence' && m.participants === 2);
  a.close();
  await sleep(400);
  assert.equal(lastOf(f, (m) => m.type === 'presence').participants, 2);
  b.close();
  await f.waitFor((m) => m.type === 'presence' && m.participants === 1, { from: f.mark() - 1 });
  // projector and facilitator connections are not participants
  const w = await projector(server, code);
  const a2 = await f.ok({ type: 'attach', code });
  assert.equal(a2.session.participants, 1);
  const pres = lastOf(f, (m) => m.type === 'presence');
  assert.equal(pres.code, code);
  assert.equal(pres.participants, 1);
  const j = await participant(server, code);
  assert.equal(typeof j.joined.session.participants, 'number');
  f.close(); c.close(); w.close(); j.close();
});

const SESSION_KEYS = ['code', 'join_url', 'scenario', 'stage', 'participants', 'ended', 'min_group', 'live', 'mine'];
const STAGE_KEYS = ['index', 'count', 'id', 'kind', 'title', 'body', 'round', 'status', 'revealed'];

function checkStage(st, { index, id, kind }) {
  for (const k of STAGE_KEYS) assert.ok(k in st, `StageView lacks ${k}: ${JSON.stringify(st)}`);
  assert.equal(st.index, index); assert.equal(st.id, id); assert.equal(st.kind, kind);
  assert.equal(st.count, 11);
  assert.ok(Array.isArray(st.body));
  for (const p of st.body) assert.equal(typeof p, 'string');
  assert.equal(typeof st.title, 'string');
  assert.equal(typeof st.revealed, 'boolean');
}

test('SessionView and StageView fields, every stage kind, options resolved, mine after reconnect', async () => {
  const g = await group(server, 1);
  const { f, code, ps: [p], started } = g;
  for (const v of [started.session, p.joined.session]) {
    for (const k of SESSION_KEYS) assert.ok(k in v, `SessionView lacks ${k}`);
    assert.equal(v.code, code);
    assert.match(v.join_url, new RegExp(`/j/${code}$`));
    assert.equal(v.scenario.id, 'conf');
    assert.equal(v.scenario.title, 'Conformance case');
    assert.equal(v.scenario.summary, 'Every question type once, for the conformance tests.');
    assert.equal(v.ended, false); assert.equal(v.min_group, 3); assert.equal(v.live, false);
    assert.deepEqual(v.mine, {});
    checkStage(v.stage, { index: 0, id: 'intro', kind: 'case' });
    assert.equal(v.stage.round, 0); assert.equal(v.stage.status, 'closed');
  }
  assert.ok(started.session.stages?.length === 11, 'facilitator view without the stage list');
  const w = await projector(server, code);
  for (const k of SESSION_KEYS) assert.ok(k in w.joined.session, `projector SessionView lacks ${k}`);
  assert.ok(!('stages' in w.joined.session));
  w.close();
  assert.ok(!('stages' in p.joined.session), 'participant view holds the facilitator stage list');
  const expect = {
    1: ['pick', 'question', (q) => { assert.deepEqual(q.options, [{ id: 'a', label: 'A' }, { id: 'b', label: 'B' }, { id: 'c', label: 'C' }]); }],
    2: ['multi', 'question', (q) => { assert.deepEqual(q.options, [{ id: 'o1', label: 'Outcome one' }, { id: 'o2', label: 'Outcome two' }, { id: 'o3', label: 'Outcome three' }]); assert.equal(q.max_choices, 2); }],
    3: ['scale', 'question', (q) => { assert.equal(q.min, 1); assert.equal(q.max, 5); }],
    4: ['points', 'question', (q) => { assert.equal(q.budget, 10); assert.equal(q.options.length, 3); }],
    5: ['rank', 'question', (q) => { assert.deepEqual(q.options.map((o) => o.id), ['w', 'x', 'y', 'z']); }],
    6: ['mo', 'question', (q) => {
      assert.deepEqual(q.models.map((m) => m.id), ['m1', 'm2']);
      assert.equal(q.models[0].name, 'Model one');
      assert.deepEqual(q.outcomes, [{ id: 'o1', label: 'Outcome one' }, { id: 'o2', label: 'Outcome two' }, { id: 'o3', label: 'Outcome three' }]);
    }],
    7: ['moa', 'question', () => {}],
    8: ['voices', 'question', (q) => { assert.equal(q.max_length, 10); }],
  };
  for (const [idx, [id, kind, check]] of Object.entries(expect)) {
    const from = p.mark();
    await f.ok({ type: 'goto', code, stage: Number(idx) });
    const st = (await p.waitFor('stage', { from })).stage;
    checkStage(st, { index: Number(idx), id, kind });
    assert.equal(st.question.id, id);
    assert.equal(st.question.type, { pick: 'choice', multi: 'choice', scale: 'scale', points: 'points', rank: 'rank', mo: 'model_outcome', moa: 'model_outcome', voices: 'text' }[id]);
    assert.equal(typeof st.question.prompt, 'string');
    assert.equal(st.round, 0); assert.equal(st.status, 'closed'); assert.equal(st.revealed, false);
    check(st.question);
  }
  // case stage body carries the case
  const c0 = p.mark();
  await f.ok({ type: 'goto', code, stage: 0 });
  const cs = (await p.waitFor('stage', { from: c0 })).stage;
  assert.ok(JSON.stringify(cs).includes('A case paragraph.'), 'case stage does not show the case');
  // mine after reconnect (new connection, same token)
  await f.ok({ type: 'open', code, question: 'pick' });
  await f.ok({ type: 'open', code, question: 'multi' });
  await f.ok({ type: 'open', code, question: 'scale' });
  await p.ok({ type: 'vote', question: 'pick', ballot: { choice: 'b' } });
  await p.ok({ type: 'vote', question: 'multi', ballot: { choices: ['o1', 'o3'] } });
  await p.ok({ type: 'vote', question: 'scale', ballot: { value: 4 } });
  await p.ok({ type: 'vote', question: 'scale', ballot: { value: 5 } });
  p.close();
  const again = await participant(server, code, p.token);
  assert.deepEqual(again.joined.session.mine.pick, { choice: 'b' });
  assert.deepEqual(again.joined.session.mine.scale, { value: 5 });
  assert.deepEqual(JSON.stringify(again.joined.session.mine.multi?.choices?.slice().sort()), JSON.stringify(['o1', 'o3']));
  assert.ok(!('points' in again.joined.session.mine));
  // a new round: mine is absent until voted in it
  await f.ok({ type: 'close', code, question: 'pick' });
  await f.ok({ type: 'open', code, question: 'pick' });
  const a3 = await participant(server, code, p.token);
  assert.ok(!('pick' in a3.joined.session.mine), 'mine holds a ballot of an earlier round');
  assert.equal(a3.joined.session.participants >= 1, true);
  g.close(); again.close(); a3.close();
});

test('discussion stage carries `show` and the results its viewer may see; revote stage shows the question again', async () => {
  const g = await group(server, 3);
  const { f, code, ps } = g;
  await f.ok({ type: 'open', code, question: 'pick' });
  await f.ok({ type: 'open', code, question: 'mo' });
  for (const p of ps) {
    await p.ok({ type: 'vote', question: 'pick', ballot: { choice: 'a' } });
    await p.ok({ type: 'vote', question: 'mo', ballot: { outcomes: { m1: 'o1', m2: 'o2' } } });
  }
  await f.ok({ type: 'close', code, question: 'pick' });
  await f.ok({ type: 'close', code, question: 'mo' });
  await f.ok({ type: 'reveal', code, question: 'pick' });
  const pm = ps[0].mark(); const fm = f.mark();
  await f.ok({ type: 'goto', code, stage: 'talk' });
  const st = (await ps[0].waitFor('stage', { from: pm })).stage;
  checkStage(st, { index: 9, id: 'talk', kind: 'discussion' });
  assert.deepEqual(st.show, ['pick', 'mo']);
  assert.ok(st.body.includes('Why?'));
  const s = JSON.stringify(st);
  assert.ok(s.includes('"counts"'), `revealed pick results missing from the participant's discussion view: ${s}`);
  assert.ok(!s.includes('"matrix"'), 'unrevealed mo results in the participant\'s discussion view');
  const fst = (await f.waitFor('stage', { from: fm })).stage;
  assert.ok(JSON.stringify(fst).includes('"matrix"'), 'the facilitator\'s discussion view lacks the mo results');
  // revote
  const rm = ps[0].mark();
  await f.ok({ type: 'goto', code, stage: 'pick-again' });
  const rv = (await ps[0].waitFor('stage', { from: rm })).stage;
  checkStage(rv, { index: 10, id: 'pick-again', kind: 'revote' });
  assert.equal(rv.question?.id, 'pick');
  assert.equal(rv.round, 1); assert.equal(rv.status, 'closed'); assert.equal(rv.revealed, true);
  await f.ok({ type: 'open', code, question: 'pick' });
  const r2 = await ps[0].waitFor((m) => m.type === 'round' && m.status === 'open', { from: rm });
  assert.equal(r2.round, 2);
  g.close();
});

test('assigned model_outcome: participant view holds assigned_model; ballot must be exactly that model', async () => {
  const g = await group(server, 4);
  const { f, code, ps } = g;
  await f.ok({ type: 'goto', code, stage: 'moa' });
  await f.ok({ type: 'open', code, question: 'moa' });
  const models = [];
  for (const p of ps) {
    const j = await p.ok({ type: 'join', code, token: p.token });
    const am = j.session.stage.assigned_model;
    assert.ok(['m1', 'm2'].includes(am), `no assigned_model: ${JSON.stringify(j.session.stage)}`);
    models.push(am);
    const other = am === 'm1' ? 'm2' : 'm1';
    assert.equal((await p.request({ type: 'vote', question: 'moa', ballot: { outcomes: { [other]: 'o1' } } })).code, 'invalid_ballot');
    assert.equal((await p.request({ type: 'vote', question: 'moa', ballot: { outcomes: { m1: 'o1', m2: 'o1' } } })).code, 'invalid_ballot');
    await p.ok({ type: 'vote', question: 'moa', ballot: { outcomes: { [am]: 'o2' } } });
  }
  assert.equal(models.filter((m) => m === 'm1').length, 2, 'models not balanced');
  // reconnect keeps the model
  const again = await participant(server, code, ps[0].token);
  assert.equal(again.joined.session.stage.assigned_model, models[0]);
  g.close(); again.close();
});

test('a discussion stage during an open round shows the last tally pushed, never a fresher one (facilitator too)', async () => {
  const g = await group(server, 5);
  const { f, code, ps } = g;
  await f.ok({ type: 'open', code, question: 'pick' });
  for (const p of ps.slice(0, 3)) await p.ok({ type: 'vote', question: 'pick', ballot: { choice: 'a' } });
  await f.waitFor((m) => isResults('pick')(m) && m.tally);
  await ps[3].ok({ type: 'vote', question: 'pick', ballot: { choice: 'c' } });
  await ps[4].ok({ type: 'vote', question: 'pick', ballot: { choice: 'c' } });
  await sleep(200);
  await f.ok({ type: 'reveal', code, question: 'pick' });
  const pm = ps[0].mark(); const fm = f.mark();
  await f.ok({ type: 'goto', code, stage: 'talk' });
  const st = JSON.stringify((await ps[0].waitFor('stage', { from: pm })).stage);
  const fst = JSON.stringify((await f.waitFor('stage', { from: fm })).stage);
  for (const [who, s] of [['participant', st], ['facilitator', fst]]) {
    assert.ok(s.includes('"counts"'), `${who}: no pick results in the discussion view: ${s}`);
    assert.ok(!s.includes('"c":2'), `${who}: a fresher tally than the last pushed: ${s}`);
  }
  const late = await participant(server, code);
  const ls = JSON.stringify(late.joined.session.stage);
  assert.ok(!ls.includes('"c":2'), `late joiner: a fresher tally: ${ls}`);
  const f2 = await facilitator(server);
  const a = JSON.stringify(await f2.ok({ type: 'attach', code }));
  assert.ok(!a.includes('"c":2'), `attach: a fresher tally: ${a.slice(0, 1500)}`);
  g.close(); late.close(); f2.close();
});

test('revealed during an open round: participants then get each new tally under the same step rule; hide stops them', async () => {
  const g = await group(server, 6);
  const { f, code, ps } = g;
  await f.ok({ type: 'open', code, question: 'pick' });
  for (const p of ps.slice(0, 3)) await p.ok({ type: 'vote', question: 'pick', ballot: { choice: 'a' } });
  await f.waitFor((m) => isResults('pick')(m) && m.tally);
  await f.ok({ type: 'reveal', code, question: 'pick' });
  const w = ps[0];
  await w.waitFor((m) => isResults('pick')(m) && m.tally);
  const from = w.mark();
  await ps[3].ok({ type: 'vote', question: 'pick', ballot: { choice: 'b' } });
  await ps[4].ok({ type: 'vote', question: 'pick', ballot: { choice: 'b' } });
  await sleep(300);
  assert.equal(w.since(from, (m) => isResults('pick')(m) && m.tally).length, 0, 'a tally after 2 changes');
  await ps[5].ok({ type: 'vote', question: 'pick', ballot: { choice: 'b' } });
  const t = await w.waitFor((m) => isResults('pick')(m) && m.tally, { from });
  assert.deepEqual(t.tally.counts, { a: 3, b: 3, c: 0 });
  await f.ok({ type: 'hide', code, question: 'pick' });
  await w.waitFor('hidden', { from });
  const h = w.mark();
  for (const p of ps.slice(0, 3)) await p.ok({ type: 'vote', question: 'pick', ballot: { choice: 'c' } });
  await f.ok({ type: 'close', code, question: 'pick' });
  await sleep(300);
  assert.equal(w.since(h, isResults('pick')).length, 0, 'results after hide');
  g.close();
});

test('perspectives come in an order unrelated to posting (no times, no authors)', async () => {
  const g = await group(server, 3);
  const { f, code, ps } = g;
  await f.ok({ type: 'open', code, question: 'voices' });
  const posted = [];
  for (let k = 0; k < 3; k++) for (const [i, p] of ps.entries()) {
    const t = `t${k}${i}`;
    posted.push(t);
    await p.ok({ type: 'perspective', question: 'voices', text: t });
  }
  const items = (await f.waitFor((m) => m.type === 'perspectives' && m.items.length === 9)).items;
  assert.notDeepEqual(items.map((x) => x.text), posted, 'items in posting order (1/362880 by luck)');
  for (const it of items) assert.deepEqual(Object.keys(it).sort(), ['endorsements', 'id', 'shown', 'text']);
  g.close();
});

test('close pushes the final tally even when it equals the last one pushed (facilitator, and revealed participants)', async () => {
  const g = await group(server, 3);
  const { f, code, ps } = g;
  await f.ok({ type: 'open', code, question: 'pick' });
  for (const p of ps) await p.ok({ type: 'vote', question: 'pick', ballot: { choice: 'b' } });
  await f.waitFor((m) => isResults('pick')(m) && m.tally);
  await f.ok({ type: 'reveal', code, question: 'pick' });
  await ps[0].waitFor((m) => isResults('pick')(m) && m.tally);
  await sleep(300);
  const fm = f.mark(); const pm = ps[0].mark();
  await f.ok({ type: 'close', code, question: 'pick' });
  for (const c of [f, ps[0]]) {
    const from = c === f ? fm : pm;
    const r = await c.waitFor((m) => isResults('pick')(m) && m.tally, { from });
    assert.deepEqual(r.tally.counts, { a: 0, b: 3, c: 0 });
    assert.equal(r.round, 1);
  }
  g.close();
});

test('perspectives of one session cannot be moderated or endorsed through another', async () => {
  const A = await group(server, 3);
  const B = await group(server, 3);
  await A.f.ok({ type: 'open', code: A.code, question: 'voices' });
  for (const [i, p] of A.ps.entries()) await p.ok({ type: 'perspective', question: 'voices', text: `a${i}` });
  const items = (await A.f.waitFor((m) => m.type === 'perspectives' && m.items.length === 3)).items;
  await A.f.ok({ type: 'moderate', code: A.code, perspective: items[0].id, action: 'show' });
  assert.equal((await B.f.request({ type: 'moderate', code: B.code, perspective: items[1].id, action: 'show' })).code, 'unknown_perspective');
  assert.equal((await B.ps[0].request({ type: 'endorse', perspective: items[0].id })).code, 'unknown_perspective');
  await sleep(200);
  const last = lastOf(A.f, (m) => m.type === 'perspectives');
  assert.equal(last.items.filter((x) => x.shown).length, 1);
  assert.equal(last.items.find((x) => x.id === items[0].id).endorsements, 0);
  A.close(); B.close();
});

test('StageView `revealed` follows reveal, hide and a new round; a late joiner of a revealed stage gets its results', async () => {
  const g = await group(server, 3);
  const { f, code, ps } = g;
  await f.ok({ type: 'goto', code, stage: 'scale' });
  await f.ok({ type: 'open', code, question: 'scale' });
  for (const p of ps) await p.ok({ type: 'vote', question: 'scale', ballot: { value: 3 } });
  await f.ok({ type: 'close', code, question: 'scale' });
  await f.ok({ type: 'reveal', code, question: 'scale' });
  const a = await participant(server, code);
  assert.equal(a.joined.session.stage.revealed, true);
  assert.equal(a.joined.session.stage.round, 1);
  const r = await a.waitFor((m) => isResults('scale')(m) && m.tally);
  assert.deepEqual(r.tally.histogram, { 1: 0, 2: 0, 3: 3, 4: 0, 5: 0 });
  approx(r.tally.stdev, 0, 1e-9);
  await f.ok({ type: 'hide', code, question: 'scale' });
  const b = await participant(server, code);
  assert.equal(b.joined.session.stage.revealed, false);
  await f.ok({ type: 'reveal', code, question: 'scale' });
  await f.ok({ type: 'open', code, question: 'scale' });
  const c = await participant(server, code);
  assert.equal(c.joined.session.stage.revealed, false);
  assert.equal(c.joined.session.stage.round, 2);
  assert.equal(c.joined.session.stage.status, 'open');
  await sleep(200);
  assert.equal(c.since(0, isResults('scale')).length, 0);
  g.close(); a.close(); b.close(); c.close();
});
