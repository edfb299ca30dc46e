// HTTP surface, the `listening on` line, key printing, and the WebSocket origin check (protocol.md:
// "Process and HTTP surface" and "Limits").
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, Client, facilitator, participant, startSession, httpGet, KEY, token, sleep, projector, clusterSkip } from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

test('listening line is exactly `listening on http://HOST:PORT` with the real port', () => {
  assert.match(server.stdout(), /^listening on http:\/\/127\.0\.0\.1:\d+$/m);
  // the first line, so a client that reads one line finds it
  assert.match(server.stdout().split('\n')[0], /^listening on http:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(server.port > 0);
});

test('the key given with --key is never printed', () => {
  assert.ok(!server.stdout().includes(KEY), 'key on stdout');
  assert.ok(!server.stderr().includes(KEY), 'key on stderr');
});

test('GET /healthz -> 200 {"status":"ok"}', async () => {
  const r = await httpGet(server, '/healthz');
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.body), { status: 'ok' });
});

test('GET /metrics is Prometheus text with the named series', async () => {
  const f = await facilitator(server);
  const { code } = await startSession(f);
  const p = await participant(server, code);
  // With the facilitator key: without it, /metrics is the server's choice (docs/protocol.md, Decisions).
  const r = await httpGet(server, '/metrics', { Authorization: `Bearer ${KEY}` });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/plain/);
  assert.match(r.headers.get('content-type'), /version=0\.0\.4/);
  const series = r.body.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(/[{ ]/)[0]);
  for (const word of ['connection', 'session', 'ballot', 'commit', 'drop', 'limit'])
    assert.ok(series.some((s) => s.includes(word)), `no series about ${word}: ${series.join(', ')}`);
  // every sample line is NAME[{labels}] VALUE
  for (const l of r.body.split('\n').filter((x) => x && !x.startsWith('#')))
    assert.match(l, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eEInfNa]+( \d+)?$/, l);
  f.close(); p.close();
});

test('pages: /, /j/CODE, /host, /present/CODE, /qr/CODE.svg', async () => {
  const f = await facilitator(server);
  const { code } = await startSession(f);
  for (const path of ['/', `/j/${code}`, '/host', `/present/${code}`]) {
    const r = await httpGet(server, path);
    assert.equal(r.status, 200, path);
    assert.match(r.headers.get('content-type'), /text\/html/, path);
  }
  const qr = await httpGet(server, `/qr/${code}.svg`);
  assert.equal(qr.status, 200);
  assert.match(qr.headers.get('content-type'), /image\/svg\+xml/);
  assert.match(qr.body, /<svg/);
  f.close();
});

test('exports: 401 without or with a wrong bearer key, 404 for an unknown code, 200 with the key', async () => {
  const f = await facilitator(server);
  const { code } = await startSession(f);
  for (const ext of ['json', 'csv']) {
    const path = `/api/sessions/${code}/export.${ext}`;
    assert.equal((await httpGet(server, path)).status, 401, `${ext} without key`);
    assert.equal((await httpGet(server, path, { Authorization: 'Bearer wrong-key-000000' })).status, 401, `${ext} wrong key`);
    assert.equal((await httpGet(server, path, { Authorization: KEY })).status, 401, `${ext} key without Bearer`);
    const ok = await httpGet(server, path, { Authorization: `Bearer ${KEY}` });
    assert.equal(ok.status, 200, `${ext} with key`);
    const unknown = code === '000000' ? '111111' : '000000';
    assert.equal((await httpGet(server, `/api/sessions/${unknown}/export.${ext}`, { Authorization: `Bearer ${KEY}` })).status, 404);
  }
  assert.match((await httpGet(server, `/api/sessions/${code}/export.json`, { Authorization: `Bearer ${KEY}` })).headers.get('content-type'), /json/);
  assert.match((await httpGet(server, `/api/sessions/${code}/export.csv`, { Authorization: `Bearer ${KEY}` })).headers.get('content-type'), /csv/);
  // an ended session is still exportable
  await f.ok({ type: 'end', code });
  assert.equal((await httpGet(server, `/api/sessions/${code}/export.json`, { Authorization: `Bearer ${KEY}` })).status, 200);
  assert.equal((await httpGet(server, `/api/sessions/${code}/export.csv`, { Authorization: `Bearer ${KEY}` })).status, 200);
  f.close();
});

test('exports obey min_group and use pseudonyms in an order unrelated to arrival', async () => {
  const f = await facilitator(server);
  const { code } = await startSession(f);
  // "pick": 24 voters (above the threshold of 3); "scale": 2 voters (below it).
  await f.ok({ type: 'open', code, question: 'pick' });
  await f.ok({ type: 'open', code, question: 'scale' });
  const tokens = [];
  const ps = [];
  const answers = Array.from({ length: 24 }, (_, i) => 'abc'[i % 3]);
  for (let i = 0; i < answers.length; i++) {
    const p = await participant(server, code);
    tokens.push(p.token);
    ps.push(p);
    await p.ok({ type: 'vote', question: 'pick', ballot: { choice: answers[i] } });
    if (i < 2) await p.ok({ type: 'vote', question: 'scale', ballot: { value: i + 4 } });
  }
  await f.ok({ type: 'close', code, question: 'pick' });
  await f.ok({ type: 'close', code, question: 'scale' });
  const json = await httpGet(server, `/api/sessions/${code}/export.json`, { Authorization: `Bearer ${KEY}` });
  const csv = await httpGet(server, `/api/sessions/${code}/export.csv`, { Authorization: `Bearer ${KEY}` });
  for (const body of [json.body, csv.body]) for (const t of tokens) assert.ok(!body.includes(t), 'token in export');
  const data = JSON.parse(json.body);
  const text = JSON.stringify(data);
  // The below-threshold round: its ballot count is there, its answers are not.
  const scale = findQuestion(data, 'scale');
  assert.ok(scale, `no scale question in export: ${text.slice(0, 500)}`);
  const scaleText = JSON.stringify(scale);
  assert.ok(/"ballots":2\b/.test(scaleText) || /"count":2\b/.test(scaleText), `no ballot count 2 for scale: ${scaleText}`);
  assert.ok(!/"value":\s*[45]\b/.test(scaleText) && !/"histogram"/.test(scaleText), `below-threshold answers exported: ${scaleText}`);
  // CSV: no row for the scale answers 4/5 other than the count.
  const scaleRows = csv.body.split('\n').filter((l) => l.includes(',scale,'));
  assert.ok(scaleRows.length >= 1, 'no csv row for the suppressed round');
  assert.ok(scaleRows.every((l) => !/,(4|5),/.test(l) && !/"value"/.test(l)), `suppressed answers in csv: ${scaleRows}`);
  // The above-threshold round: 24 ballots under pseudonyms.
  const pick = JSON.stringify(findQuestion(data, 'pick'));
  for (const opt of ['a', 'b', 'c']) assert.ok(pick.includes(`"${opt}"`), pick);
  const pickRows = csv.body.split('\n').filter((l) => l.includes(',pick,'));
  assert.equal(pickRows.length, answers.length, `csv rows for pick: ${pickRows.join('\n')}`);
  const header = csv.body.split('\n')[0].split(',');
  const vi = header.indexOf('voter');
  const ai = header.indexOf('answer');
  assert.ok(vi >= 0 && ai >= 0, `csv header ${header}`);
  const voters = pickRows.map((l) => l.split(',')[vi]);
  assert.equal(new Set(voters).size, answers.length);
  // The arrival order of the answers must not be readable from the pseudonyms' order. With eight
  // of each answer, a random order repeats arrival's by luck once in 24!/(8!)^3, about 9.5e9.
  const byVoter = pickRows.map((l) => [l.split(',')[vi], l.split(',').slice(ai).join(',')])
    .sort((x, y) => x[0].localeCompare(y[0], undefined, { numeric: true }));
  const seq = byVoter.map(([, a]) => a.replace(/[^abc]/g, '')).join('');
  const arrival = answers.join('');
  assert.notEqual(seq, arrival, 'pseudonyms numbered in arrival order');
  for (const p of ps) p.close();
  f.close();
});

function findQuestion(data, id) {
  let found;
  const walk = (o) => {
    if (found || !o || typeof o !== 'object') return;
    if (!Array.isArray(o) && (o.question === id || o.id === id) && (o.rounds || o.round !== undefined || o.ballots !== undefined)) { found = o; return; }
    for (const v of Object.values(o)) walk(v);
    if (!Array.isArray(o) && o[id] && typeof o[id] === 'object' && !found) found = o[id];
  };
  walk(data);
  return found;
}

test('origin check: own origin and no Origin pass; forged, null and look-alike hosts get 403', async () => {
  // One facilitator (a cluster's first): "own" is its origin, whichever turn the rotation is at.
  const one = server.cluster?.[0] ?? server;
  const own = `http://127.0.0.1:${one.port}`;
  (await Client.connect(one, { origin: own })).close();
  (await Client.connect(one)).close();
  for (const origin of ['http://evil.example', 'null', `http://127.0.0.1.evil.example:${one.port}`,
    `http://127.0.0.1:${one.port}.evil.example`, `https://127.0.0.1:${one.port}`, `http://127.0.0.1:${one.port + 1}`,
    `http://evil127.0.0.1:${one.port}`]) {
    await assert.rejects(Client.connect(one, { origin }), (e) => e.status === 403, origin);
  }
});

test('origin check uses the request\'s Host header: localhost with Origin http://localhost:PORT passes', async () => {
  const viaName = { ...server, ws: `ws://localhost:${server.port}/ws` };
  (await Client.connect(viaName, { origin: `http://localhost:${server.port}` })).close();
  await assert.rejects(Client.connect(viaName, { origin: `http://127.0.0.1.nip.io:${server.port}` }), (e) => e.status === 403);
});

test('--allow-origin and --public-url origins are allowed, others still 403', async () => {
  const s = await startServer({ extra: ['--allow-origin', 'https://other.example', '--public-url', 'https://vote.example.org'] });
  try {
    (await Client.connect(s, { origin: 'https://other.example' })).close();
    (await Client.connect(s, { origin: 'https://vote.example.org' })).close();
    await assert.rejects(Client.connect(s, { origin: 'https://other.example.evil' }), (e) => e.status === 403);
    await assert.rejects(Client.connect(s, { origin: 'https://third.example' }), (e) => e.status === 403);
  } finally { await s.stop(); }
});

test('without a key: a random key is printed once as the console URL, and it works', {
  skip: clusterSkip('serve --nats refuses to start without a shared key, so no random key is ever printed'),
}, async () => {
  const s = await startServer({ key: null });
  try {
    await sleep(200);
    const out = s.stdout() + s.stderr();
    const m = s.stdout().match(/http:\/\/127\.0\.0\.1:(\d+)\/host#key=(\S+)/);
    assert.ok(m, `no console URL in ${s.stdout()}`);
    assert.equal(Number(m[1]), s.port);
    const key = m[2];
    assert.ok(key.length >= 16, 'key too short');
    assert.equal(out.split(key).length - 1, 1, 'the key appears more than once');
    const f = await facilitator(s, key);
    assert.equal(f.hosting.type, 'hosting');
    const bad = await Client.connect(s);
    assert.equal((await bad.request({ type: 'host', key: 'x' + key })).code, 'unauthorized');
    await startSession(f);
    await sleep(100);
    assert.equal((s.stdout() + s.stderr()).split(key).length - 1, 1, 'the key was printed again');
    f.close(); bad.close();
  } finally { await s.stop(); }
});

test('with ROUNDTABLE_KEY in the environment: no console key printed', async () => {
  const s = await startServer({ key: null, env: { ROUNDTABLE_KEY: 'env-key-abcdefghijklmnop' } });
  try {
    await sleep(200);
    assert.ok(!(s.stdout() + s.stderr()).includes('env-key-abcdefghijklmnop'));
    assert.doesNotMatch(s.stdout(), /#key=/);
    (await facilitator(s, 'env-key-abcdefghijklmnop')).close();
  } finally { await s.stop(); }
});

test('--min-group out of range is refused, in range is in force', async () => {
  const s = await startServer({ extra: ['--min-group', '5'] });
  try {
    const f = await facilitator(s);
    const { started } = await startSession(f);
    assert.equal(started.session.min_group, 5);
    f.close();
  } finally { await s.stop(); }
  await assert.rejects(startServer({ extra: ['--min-group', '0'] }));
  await assert.rejects(startServer({ extra: ['--min-group', '51'] }));
});

test('export threshold: perspectives below min_group and assigned model rows below min_group are not exported', async () => {
  const f = await facilitator(server);
  const { code } = await startSession(f);
  const ps = [];
  for (let i = 0; i < 5; i++) ps.push(await participant(server, code));
  await f.ok({ type: 'goto', code, stage: 'moa' });
  await f.ok({ type: 'open', code, question: 'moa' });
  await f.ok({ type: 'open', code, question: 'voices' });
  const counts = {};
  for (const p of ps) {
    const am = (await p.ok({ type: 'join', code, token: p.token })).session.stage.assigned_model;
    counts[am] = (counts[am] || 0) + 1;
    await p.ok({ type: 'vote', question: 'moa', ballot: { outcomes: { [am]: am === 'm1' ? 'o2' : 'o3' } } });
  }
  const small = counts.m1 === 2 ? 'm1' : 'm2';
  const smallOutcome = small === 'm1' ? 'o2' : 'o3';
  await ps[0].ok({ type: 'perspective', question: 'voices', text: 'secret-a' });
  await ps[1].ok({ type: 'perspective', question: 'voices', text: 'secret-b' });
  await f.ok({ type: 'close', code, question: 'moa' });
  await f.ok({ type: 'close', code, question: 'voices' });
  const json = (await httpGet(server, `/api/sessions/${code}/export.json`, { Authorization: `Bearer ${KEY}` })).body;
  const csv = (await httpGet(server, `/api/sessions/${code}/export.csv`, { Authorization: `Bearer ${KEY}` })).body;
  for (const body of [json, csv]) assert.ok(!body.includes('secret-'), `perspectives below min_group exported: ${body.slice(0, 2000)}`);
  const data = JSON.parse(json);
  const moa = JSON.stringify(data.questions?.find((q) => q.id === 'moa') ?? data);
  // no ballot of the small model's group may be exported
  const rows = csv.split('\n').filter((l) => l.includes(',moa,'));
  assert.ok(!rows.some((l) => l.includes(small) && l.includes(smallOutcome)), `a row below min_group exported: ${rows.join('\n')}`);
  assert.ok(!new RegExp(`"${small}"\\s*:\\s*"${smallOutcome}"`).test(moa) && !new RegExp(`"${small}":\\{[^}]*"${smallOutcome}":2`).test(moa),
    `the small model's ballots exported: ${moa}`);
  f.close(); for (const p of ps) p.close();
});

test('--key-file: the key is read from the file and never printed; --public-url makes the join_url', async () => {
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tempDir } = await import('./harness.mjs');
  const file = join(tempDir(), 'key');
  writeFileSync(file, 'file-key-0123456789abcdef\n');
  const s = await startServer({ key: null, extra: ['--key-file', file, '--public-url', 'https://vote.example.org'] });
  try {
    await sleep(200);
    assert.ok(!(s.stdout() + s.stderr()).includes('file-key-0123456789abcdef'));
    assert.doesNotMatch(s.stdout(), /#key=/);
    const f = await facilitator(s, 'file-key-0123456789abcdef');
    const { code, started } = await startSession(f);
    assert.equal(started.session.join_url, `https://vote.example.org/j/${code}`);
    f.close();
  } finally { await s.stop(); }
});
