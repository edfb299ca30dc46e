// protocol.md "Ballots and tallies, by question type": every tally computed independently here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, group, participant, sleep, consensus, approx } from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

/** Opens q, casts ballots[i] for participant i (skipping undefined), closes; resolves with the final results. */
async function round(g, q, ballots) {
  const { f, code, ps } = g;
  await f.ok({ type: 'open', code, question: q });
  for (const [i, b] of ballots.entries()) if (b !== undefined) await ps[i].ok({ type: 'vote', question: q, ballot: b });
  const from = f.mark();
  await f.ok({ type: 'close', code, question: q });
  return f.waitFor((m) => m.type === 'results' && m.question === q, { from });
}

function checkConsensus(actual, counts, what) {
  approx(actual, consensus(counts), 0.006, `${what} consensus for ${JSON.stringify(counts)}`);
}

test('choice: every option with 0, consensus 1 - H/log2(k), both ballot forms', async () => {
  const g = await group(server, 5);
  const r = await round(g, 'pick', [{ choice: 'a' }, { choice: 'a' }, { choices: ['b'] }, { choice: 'a' }, { choice: 'a' }]);
  assert.equal(r.ballots, 5); assert.equal(r.suppressed, false); assert.equal(r.round, 1);
  assert.deepEqual(r.tally.counts, { a: 4, b: 1, c: 0 });
  checkConsensus(r.tally.consensus, { a: 4, b: 1, c: 0 }, 'pick');
  assert.ok(!('shift' in r.tally), 'shift in round 1');
  const r2 = await round(g, 'multi', [{ choices: ['o1', 'o2'] }, { choice: 'o1' }, { choices: ['o3'] }, { choices: ['o1', 'o3'] }]);
  assert.equal(r2.ballots, 4);
  assert.deepEqual(r2.tally.counts, { o1: 3, o2: 1, o3: 2 });
  checkConsensus(r2.tally.consensus, { o1: 3, o2: 1, o3: 2 }, 'multi');
  g.close();
});

test('choice consensus: 1 when everyone agrees, 0 when spread evenly', async () => {
  const g = await group(server, 3);
  const r = await round(g, 'pick', [{ choice: 'b' }, { choice: 'b' }, { choice: 'b' }]);
  approx(r.tally.consensus, 1, 1e-9);
  const r2 = await round(g, 'multi', [{ choice: 'o1' }, { choice: 'o2' }, { choice: 'o3' }]);
  approx(r2.tally.consensus, 0, 1e-9);
  g.close();
});

test('scale: histogram of every value, mean, median of an even count, population stdev', async () => {
  const g = await group(server, 4);
  const r = await round(g, 'scale', [{ value: 1 }, { value: 2 }, { value: 5 }, { value: 5 }]);
  assert.deepEqual(r.tally.histogram, { 1: 1, 2: 1, 3: 0, 4: 0, 5: 2 });
  const vals = [1, 2, 5, 5];
  const mean = vals.reduce((a, b) => a + b) / 4;
  approx(r.tally.mean, mean, 0.006, 'mean');
  approx(r.tally.median, (2 + 5) / 2, 0.006, 'median');
  approx(r.tally.stdev, Math.sqrt(vals.reduce((a, v) => a + (v - mean) ** 2, 0) / 4), 0.006, 'population stdev');
  g.close();
});

test('scale: odd count median', async () => {
  const g = await group(server, 3);
  const r = await round(g, 'scale', [{ value: 4 }, { value: 1 }, { value: 2 }]);
  approx(r.tally.median, 2, 1e-9);
  approx(r.tally.stdev, Math.sqrt(((4 - 7 / 3) ** 2 + (1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2) / 3), 0.006);
  g.close();
});

test('points: totals and means over every option, an omitted option counts 0', async () => {
  const g = await group(server, 3);
  const r = await round(g, 'points', [{ points: { p: 10 } }, { points: { p: 5, q: 5 } }, { points: { q: 2, r: 8, p: 0 } }]);
  assert.deepEqual(r.tally.total, { p: 15, q: 7, r: 8 });
  approx(r.tally.mean.p, 5, 0.006); approx(r.tally.mean.q, 7 / 3, 0.006); approx(r.tally.mean.r, 8 / 3, 0.006);
  assert.deepEqual(Object.keys(r.tally.mean).sort(), ['p', 'q', 'r']);
  g.close();
});

test('rank: Borda m-1-i and first places, every option', async () => {
  const g = await group(server, 3);
  const r = await round(g, 'rank', [{ order: ['w', 'x', 'y', 'z'] }, { order: ['x', 'w', 'z', 'y'] }, { order: ['w', 'y', 'x', 'z'] }]);
  assert.deepEqual(r.tally.borda, { w: 8, x: 6, y: 3, z: 1 });
  assert.deepEqual(r.tally.first, { w: 2, x: 1, y: 0, z: 0 });
  g.close();
});

test('model_outcome: full matrix with zeros, consensus per model', async () => {
  const g = await group(server, 3);
  const r = await round(g, 'mo', [{ outcomes: { m1: 'o1', m2: 'o2' } }, { outcomes: { m1: 'o1', m2: 'o3' } }, { outcomes: { m1: 'o2', m2: 'o2' } }]);
  assert.deepEqual(r.tally.matrix, { m1: { o1: 2, o2: 1, o3: 0 }, m2: { o1: 0, o2: 2, o3: 1 } });
  checkConsensus(r.tally.consensus.m1, { o1: 2, o2: 1, o3: 0 }, 'm1');
  checkConsensus(r.tally.consensus.m2, { o1: 0, o2: 2, o3: 1 }, 'm2');
  g.close();
});

async function assignedRound(n) {
  const g = await group(server, n);
  const { f, code, ps } = g;
  await f.ok({ type: 'goto', code, stage: 'moa' });
  await f.ok({ type: 'open', code, question: 'moa' });
  const models = {};
  for (const p of ps) {
    const am = (await p.ok({ type: 'join', code, token: p.token })).session.stage.assigned_model;
    models[am] = (models[am] || 0) + 1;
    await p.ok({ type: 'vote', question: 'moa', ballot: { outcomes: { [am]: am === 'm1' ? 'o1' : 'o3' } } });
  }
  const from = f.mark();
  await f.ok({ type: 'close', code, question: 'moa' });
  const r = await f.waitFor((m) => m.type === 'results' && m.question === 'moa', { from });
  return { g, r, models };
}

test('assigned model_outcome: a model row is absent while it has fewer than min_group ballots', async () => {
  {
    const { g, r, models } = await assignedRound(4);
    assert.deepEqual(models, { m1: 2, m2: 2 });
    assert.equal(r.ballots, 4);
    assert.ok(r.suppressed === false || !r.tally, JSON.stringify(r));
    if (r.tally) {
      assert.ok(!('m1' in (r.tally.matrix || {})) && !('m2' in (r.tally.matrix || {})), `rows below min_group: ${JSON.stringify(r.tally)}`);
      assert.ok(!('m1' in (r.tally.consensus || {})), `consensus of a hidden row: ${JSON.stringify(r.tally)}`);
    }
    g.close();
  }
  {
    const { g, r, models } = await assignedRound(5);
    assert.deepEqual(models, models.m1 === 3 ? { m1: 3, m2: 2 } : { m1: 2, m2: 3 });
    const big = models.m1 === 3 ? 'm1' : 'm2';
    const small = big === 'm1' ? 'm2' : 'm1';
    assert.deepEqual(Object.keys(r.tally.matrix), [big]);
    assert.deepEqual(r.tally.matrix[big], big === 'm1' ? { o1: 3, o2: 0, o3: 0 } : { o1: 0, o2: 0, o3: 3 });
    assert.ok(!(small in r.tally.consensus));
    approx(r.tally.consensus[big], 1, 1e-9);
    g.close();
  }
  {
    const { g, r } = await assignedRound(6);
    assert.deepEqual(r.tally.matrix, { m1: { o1: 3, o2: 0, o3: 0 }, m2: { o1: 0, o2: 0, o3: 3 } });
    g.close();
  }
});

test('shift, single choice: compared, changed, transitions with unchanged pairs; absent below min_group', async () => {
  const g = await group(server, 5);
  const r1 = await round(g, 'pick', [{ choice: 'a' }, { choice: 'a' }, { choice: 'b' }, { choice: 'c' }]);
  assert.ok(!('shift' in r1.tally));
  const r2 = await round(g, 'pick', [{ choice: 'a' }, { choice: 'b' }, { choice: 'b' }, undefined, { choice: 'c' }]);
  assert.equal(r2.round, 2);
  assert.deepEqual(r2.tally.counts, { a: 1, b: 2, c: 1 });
  assert.deepEqual(r2.tally.shift, { compared: 3, changed: 1, transitions: { a: { a: 1, b: 1 }, b: { b: 1 } } });
  // round 3: only 2 of round 2's voters vote again (+1 new): 3 ballots, shift compares 2 -> absent
  const r3 = await round(g, 'pick', [undefined, undefined, { choice: 'a' }, { choice: 'a' }, { choice: 'c' }]);
  assert.equal(r3.round, 3);
  assert.deepEqual(r3.tally.counts, { a: 2, b: 0, c: 1 });
  assert.ok(!('shift' in r3.tally), `shift over 2 participants: ${JSON.stringify(r3.tally)}`);
  // the revote stage: round 4 after showing it, compared against round 3
  await g.f.ok({ type: 'goto', code: g.code, stage: 'pick-again' });
  const r4 = await round(g, 'pick', [undefined, undefined, { choice: 'b' }, { choice: 'a' }, { choice: 'c' }]);
  assert.deepEqual(r4.tally.shift, { compared: 3, changed: 1, transitions: { a: { b: 1, a: 1 }, c: { c: 1 } } });
  g.close();
});

test('shift, model_outcome: per model transitions, changed counts participants who changed any model', async () => {
  const g = await group(server, 3);
  await round(g, 'mo', [{ outcomes: { m1: 'o1', m2: 'o1' } }, { outcomes: { m1: 'o1', m2: 'o2' } }, { outcomes: { m1: 'o2', m2: 'o2' } }]);
  const r2 = await round(g, 'mo', [{ outcomes: { m1: 'o1', m2: 'o1' } }, { outcomes: { m1: 'o2', m2: 'o2' } }, { outcomes: { m1: 'o2', m2: 'o3' } }]);
  assert.deepEqual(r2.tally.shift, {
    compared: 3, changed: 2,
    transitions: { m1: { o1: { o1: 1, o2: 1 }, o2: { o2: 1 } }, m2: { o1: { o1: 1 }, o2: { o2: 1, o3: 1 } } },
  });
  assert.deepEqual(r2.tally.matrix, { m1: { o1: 1, o2: 2, o3: 0 }, m2: { o1: 1, o2: 1, o3: 1 } });
  g.close();
});

test('a new vote replaces the old one in the same round', async () => {
  const g = await group(server, 3);
  const { f, code, ps } = g;
  await f.ok({ type: 'open', code, question: 'pick' });
  for (const p of ps) await p.ok({ type: 'vote', question: 'pick', ballot: { choice: 'a' } });
  await ps[0].ok({ type: 'vote', question: 'pick', ballot: { choice: 'c' } });
  // the same participant from another connection
  const again = await participant(server, code, ps[1].token);
  await again.ok({ type: 'vote', question: 'pick', ballot: { choice: 'c' } });
  const from = f.mark();
  await f.ok({ type: 'close', code, question: 'pick' });
  const r = await f.waitFor((m) => m.type === 'results' && m.question === 'pick', { from });
  assert.equal(r.ballots, 3);
  assert.deepEqual(r.tally.counts, { a: 1, b: 0, c: 2 });
  g.close(); again.close();
});

test('assigned model_outcome shift: only models comparing >= min_group participants (docs/protocol.md, Decisions)', async () => {
  const g = await group(server, 5);
  const { f, code, ps } = g;
  await f.ok({ type: 'goto', code, stage: 'moa' });
  const model = [];
  for (const p of ps) model.push((await p.ok({ type: 'join', code, token: p.token })).session.stage.assigned_model);
  const big = model.filter((m) => m === 'm1').length === 3 ? 'm1' : 'm2';
  // The round deals over those present where it opens: with several servers, once the facilitator's counts all five
  // (their presence reached its server), so each keeps the lens its join showed.
  await f.waitFor((m) => m.type === 'presence' && m.participants === 5, { timeout: 10000 });
  const castAll = async (pick) => {
    await f.ok({ type: 'open', code, question: 'moa' });
    for (const [i, p] of ps.entries()) await p.ok({ type: 'vote', question: 'moa', ballot: { outcomes: { [model[i]]: pick(i) } } });
    const from = f.mark();
    await f.ok({ type: 'close', code, question: 'moa' });
    return f.waitFor((m) => m.type === 'results' && m.question === 'moa', { from });
  };
  await castAll(() => 'o1');
  const bigVoters = model.map((m, i) => (m === big ? i : -1)).filter((i) => i >= 0);
  const r2 = await castAll((i) => (i === bigVoters[0] ? 'o2' : 'o1'));
  assert.deepEqual(r2.tally.shift, { compared: 3, changed: 1, transitions: { [big]: { o1: { o1: 2, o2: 1 } } } });
  g.close();
});
