// Conformance harness: a real `facilitator serve` child process and a plain WebSocket client (the npm
// package `ws`), written from /work/shared/protocol.md alone. Nothing here knows the server's code.
//
// Cluster mode (opt-in): with ROUNDTABLE_CONFORMANCE_CLUSTER=N (N >= 2, e.g. 3), `startServer()` starts one
// `nats-server -js` (temporary store, free loopback ports, awaited until JetStream is ready) and N
// `facilitator serve --nats nats://127.0.0.1:PORT` processes sharing the key and the scenario folder, each
// with its own --db file (saved cases). The returned server object looks like a single one: each
// `Client.connect(server)` and each `httpGet(server, ...)` goes to the next facilitator round-robin (a load
// balancer without stickiness); `origin`, `port`, `ws` and `stdout()` are the first one's; `stderr()` is all
// of theirs; `child.kill(signal)` signals every facilitator and `exited` resolves when all have exited (with
// the first non-clean exit, else the first one's). `startServer({ db: s.db })` on a cluster's `db` "restarts"
// it: N new facilitators on the same JetStream (nats-server outlives its cluster's stop()) and the same --db
// files. Every child (nats-server included) is killed when the test process exits (and, through
// `setpriv --pdeathsig KILL`, if it dies). Tests that are by nature about one process (its SQLite file, a
// random console key, its descriptor limit) are skipped in this mode with `skip: clusterSkip('reason')`.
//   ROUNDTABLE_CONFORMANCE_CLUSTER=3 node --test tests/conformance/
// With ROUNDTABLE_CONFORMANCE_LOGS=DIR, each facilitator's stderr (its log) is also written to
// DIR/<test process pid>-<cluster>-<n>.log, to diagnose a failure afterwards.
// Skipped in cluster mode: http.test.mjs "without a key: a random key is printed once ..." (serve --nats
// refuses to start without a shared key); limits.test.mjs "the store never holds a participant token ..."
// (reads the SQLite --db file, which holds no events with --nats) and "out of file descriptors ..." (one
// process's prlimit --nofile and CPU time).
import { spawn } from 'node:child_process';
import { after } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, cpSync, appendFileSync, openSync, closeSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';

/** Facilitators per startServer(): 0 (one SQLite server, the default) or N >= 2 over NATS JetStream. */
export const CLUSTER = (() => {
  const n = Number(process.env.ROUNDTABLE_CONFORMANCE_CLUSTER ?? 0);
  return Number.isInteger(n) && n >= 2 ? n : 0;
})();

/** node:test's `skip` option for a test that is by nature about one process: the reason in cluster mode. */
export const clusterSkip = (reason) => (CLUSTER ? `cluster mode: ${reason}` : false);

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const binary = join(root, 'build/bin/facilitator');
export const fixtures = join(root, 'tests/fixtures/conformance');
export const KEY = 'conformance-key-0123456789';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const token = () => randomBytes(24).toString('base64url'); // 32 chars of [A-Za-z0-9_-]

/** A fresh temporary directory, removed at process exit. */
export function tempDir(prefix = 'rt-conf-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A scenario folder holding a copy of the conformance fixtures (so a test may edit the files). */
export function scenarioDir(extraFiles = {}) {
  const dir = tempDir('rt-conf-scen-');
  cpSync(fixtures, dir, { recursive: true });
  for (const [name, obj] of Object.entries(extraFiles))
    writeFileSync(join(dir, name), typeof obj === 'string' ? obj : JSON.stringify(obj, null, 2));
  return dir;
}

/**
 * Starts `facilitator serve --port 0` and resolves once it printed `listening on http://HOST:PORT`.
 * `key: null` starts it without --key (and without ROUNDTABLE_KEY in the environment).
 */
// This suite checks the contract's rules other than its rate limits (hardening_test attacks
// those with the defaults): it bursts far beyond 30 messages a second on one connection and
// presents many wrong keys from one address, and opens thousands of connections from 127.0.0.1
// (more than --max-connections-per-address allows), so its servers get generous limits unless a
// test asks for the defaults with `defaultLimits: true`.
const generousLimits = ['--rate-messages', '100000', '--join-failures-per-connection', '100000',
  '--join-failures-per-address', '100000', '--key-failures-per-address', '100000',
  '--max-connections-per-address', '100000'];

export async function startServer(opts = {}) {
  return CLUSTER ? startCluster(opts) : startOne(opts);
}

async function startOne({ key = KEY, scenarios, db, extra = [], env = {}, nofile, defaultLimits = false, args: more = [], wrap = [], logFile } = {}) {
  const dir = tempDir();
  db = db ?? join(dir, 'rt.db');
  scenarios = scenarios ?? scenarioDir();
  const args = ['serve', '--host', '127.0.0.1', '--port', '0', '--db', db, '--scenarios', scenarios,
    ...(defaultLimits ? [] : generousLimits), ...more, ...extra];
  if (key !== null) args.push('--key', key);
  const childEnv = { ...process.env, ...env };
  if (key === null && !('ROUNDTABLE_KEY' in env)) delete childEnv.ROUNDTABLE_KEY;
  // nofile: run with that file descriptor limit (prlimit execs the server, so the pid is the server's)
  const child = nofile
    ? spawn('prlimit', [`--nofile=${nofile}:${nofile}`, binary, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv })
    : wrap.length
      ? spawn(wrap[0], [...wrap.slice(1), binary, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv })
      : spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; if (logFile) appendFileSync(logFile, d); });
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const origin = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no listening line in 15 s:\n${stdout}\n${stderr}`)), 15000);
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = stdout.match(/^listening on (http:\/\/[^\s]+)$/m);
      if (m) { clearTimeout(t); resolve(m[1]); }
    });
    exited.then(({ code }) => { clearTimeout(t); reject(new Error(`server exited (${code}):\n${stdout}\n${stderr}`)); });
  });
  const url = new URL(origin);
  const server = {
    origin, db, scenarios, child, exited,
    host: url.hostname, port: Number(url.port),
    ws: origin.replace(/^http/, 'ws') + '/ws',
    stdout: () => stdout, stderr: () => stderr,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  track(child);
  return server;
}

/** A free TCP port on loopback (closed again at once: a small race, harmless here). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

const pdeath = ['setpriv', '--pdeathsig', 'KILL', '--'];

/** One `nats-server -js` on free loopback ports, resolved once its JetStream is ready; killed at exit. */
async function startNats(dir) {
  const port = await freePort();
  const monitor = await freePort();
  const argv = ['nats-server', '-js', '-sd', join(dir, 'js'), '-a', '127.0.0.1', '-p', String(port),
    '-m', String(monitor), '-n', `conformance-${process.pid}`];
  // Its log goes to a file and the child is unref'd: it outlives its cluster's stop() (a restart needs it)
  // without keeping the test process alive; it is killed when that process exits.
  const logFile = join(dir, 'nats.log');
  const fd = openSync(logFile, 'w');
  const child = spawn(pdeath[0], [...pdeath.slice(1), ...argv], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  const log = () => { try { return readFileSync(logFile, 'utf8'); } catch { return ''; } };
  track(child);
  const deadline = Date.now() + 15000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`nats-server exited at start:\n${log()}`);
    try {
      const r = await fetch(`http://127.0.0.1:${monitor}/healthz?js-enabled-only=true`);
      if (r.status === 200) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`nats-server not ready in 15 s:\n${log()}`); }
    await sleep(50);
  }
  return { url: `nats://127.0.0.1:${port}`, port, monitor, child, log };
}

// A cluster's `db` (what a test hands back to startServer to restart it) -> its nats-server and folder.
const clusters = new Map();
let clusterCounter = 0;

/** CLUSTER facilitators over one nats-server; see the top of this file. */
async function startCluster(opts = {}) {
  const { key = KEY, env = {} } = opts;
  if (key === null && !env.ROUNDTABLE_KEY && !(opts.extra ?? []).includes('--key-file'))
    throw new Error('cluster mode: serve --nats needs a shared key (a test without one is skipped in this mode)');
  if (opts.nofile) throw new Error('cluster mode: nofile is about one process (a test using it is skipped in this mode)');
  let cluster = opts.db !== undefined ? clusters.get(opts.db) : undefined;
  if (opts.db !== undefined && !cluster) throw new Error(`cluster mode: ${opts.db} is not a cluster's db`);
  if (!cluster) {
    const dir = mkdtempSync(join(tmpdir(), 'rt-conf-cluster-'));
    const nats = await startNats(dir);
    // after nats-server's own exit handler (which kills it): its store goes last
    process.on('exit', () => { try { rmSync(dir, { recursive: true, force: true }); } catch { /* busy */ } });
    cluster = { dir, db: join(dir, 'rt.db'), nats, id: ++clusterCounter };
    clusters.set(cluster.db, cluster);
  }
  const scenarios = opts.scenarios ?? scenarioDir();
  const logs = process.env.ROUNDTABLE_CONFORMANCE_LOGS;
  if (logs) mkdirSync(logs, { recursive: true });
  const start = (i) => startOne({
    ...opts, scenarios, db: `${cluster.db}.${i + 1}`, args: ['--nats', cluster.nats.url], wrap: pdeath,
    logFile: logs ? join(logs, `${process.pid}-${cluster.id}-${i + 1}.log`) : undefined,
  });
  const servers = [];
  try {
    // the first alone (it creates the stream), then the others together
    servers.push(await start(0));
    servers.push(...await Promise.all(Array.from({ length: CLUSTER - 1 }, (_, i) => start(i + 1))));
  } catch (e) {
    for (const s of servers) s.child.kill('SIGKILL');
    throw e;
  }
  const [first] = servers;
  let wsTurn = 0;
  let httpTurn = 0;
  const live = () => servers.filter((s) => s.child.exitCode === null && s.child.signalCode === null);
  const exited = Promise.all(servers.map((s) => s.exited))
    .then((all) => all.find((x) => x.code !== 0 || x.signal !== null) ?? all[0]);
  const child = {
    pid: first.child.pid,
    kill(signal = 'SIGTERM') { for (const s of live()) s.child.kill(signal); return true; },
    get exitCode() { return live().length ? null : first.child.exitCode; },
    get signalCode() { return live().length ? null : first.child.signalCode; },
  };
  return {
    cluster: servers, nats: cluster.nats,
    origin: first.origin, db: cluster.db, scenarios, child, exited,
    host: first.host, port: first.port, ws: first.ws,
    nextWs: () => servers[wsTurn++ % servers.length].ws,
    nextOrigin: () => servers[httpTurn++ % servers.length].origin,
    stdout: () => first.stdout(),
    stderr: () => servers.map((s) => s.stderr()).join(''),
    async stop(signal = 'SIGTERM') {
      child.kill(signal);
      return exited;
    },
  };
}

// Every child a test file started is killed when its tests are done, passed or failed: a failed test that
// never stopped its servers would otherwise keep the file (and the whole run) alive until a timeout.
const children = new Set();
function kill(child) { try { child.kill('SIGKILL'); } catch { /* gone */ } }
function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
}
after(() => { for (const child of children) kill(child); });
process.on('exit', () => { for (const child of children) kill(child); });

let idCounter = 0;
export const nextId = () => `r${++idCounter}`;

/** One WebSocket connection that records every message it receives. */
export class Client {
  constructor(ws) {
    this.ws = ws;
    this.msgs = [];
    this.waiters = [];
    this.closed = new Promise((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
    this.isClosed = false;
    this.closed.then((c) => { this.isClosed = true; this.closeInfo = c; this.flush(); });
    ws.on('message', (data, isBinary) => {
      let m;
      try { m = JSON.parse(data.toString()); } catch { m = { type: '__unparsable', raw: data.toString(), isBinary }; }
      m.__at = Date.now();
      this.msgs.push(m);
      this.flush();
    });
    ws.on('error', () => {});
  }

  static async connect(server, { origin, headers = {}, path = '/ws' } = {}) {
    // a cluster rotates over its facilitators, unless a test aimed this connection elsewhere (its own `ws`)
    const rotate = server.nextWs && server.ws === server.cluster[0].ws;
    const url = (rotate ? server.nextWs() : server.ws).replace(/\/ws$/, path);
    const opts = { headers: { ...headers }, perMessageDeflate: false, maxPayload: 8 * 1024 * 1024 };
    if (origin !== undefined) opts.origin = origin;
    const ws = new WebSocket(url, opts);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
      ws.once('unexpected-response', (req, res) => {
        const e = new Error(`handshake refused: ${res.statusCode}`);
        e.status = res.statusCode;
        reject(e);
      });
    });
    return new Client(ws);
  }

  flush() {
    this.waiters = this.waiters.filter((w) => {
      for (let i = w.from; i < this.msgs.length; i++) {
        if (w.pred(this.msgs[i])) { w.resolve(this.msgs[i]); clearTimeout(w.timer); return false; }
      }
      if (this.isClosed) { clearTimeout(w.timer); w.reject(new Error(`closed (${this.closeInfo.code}) while waiting for ${w.what}`)); return false; }
      return true;
    });
  }

  mark() { return this.msgs.length; }

  /** The first message from index `from` on that matches `pred`. */
  waitFor(pred, { from = 0, timeout = 5000, what = String(pred) } = {}) {
    if (typeof pred === 'string') { const t = pred; pred = (m) => m.type === t; what = t; }
    return new Promise((resolve, reject) => {
      const w = { pred, from, resolve, reject, what };
      w.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`timeout waiting for ${what}; got ${JSON.stringify(this.msgs.slice(from).map(strip))}`));
      }, timeout);
      this.waiters.push(w);
      this.flush();
    });
  }

  /** Messages from index `from` on matching pred. */
  since(from, pred = () => true) {
    if (typeof pred === 'string') { const t = pred; pred = (m) => m.type === t; }
    return this.msgs.slice(from).filter(pred);
  }

  sendRaw(data, opts) { this.ws.send(data, opts); }
  send(obj) { this.ws.send(JSON.stringify(obj)); }

  /** Sends a request with an id (one is made if absent) and resolves with its direct reply. */
  async request(obj, { timeout = 5000 } = {}) {
    const id = obj.id ?? nextId();
    const from = this.mark();
    this.send({ ...obj, id });
    return this.waitFor((m) => m.id === id, { from, timeout, what: `reply to ${JSON.stringify(obj)}` });
  }

  /** Like request, but asserts the reply is not an error. */
  async ok(obj, opts) {
    const r = await this.request(obj, opts);
    if (r.type === 'error') throw new Error(`${JSON.stringify(obj)} -> ${JSON.stringify(strip(r))}`);
    return r;
  }

  close() { try { this.ws.close(); } catch { /* closed */ } }
}

export function strip(m) { const { __at, ...rest } = m; return rest; }

/** A facilitator connection that sent `host`. */
export async function facilitator(server, key = KEY) {
  const c = await Client.connect(server);
  const r = await c.ok({ type: 'host', key });
  c.hosting = r;
  return c;
}

/** A participant connection that joined `code` (with a fresh token unless given). */
export async function participant(server, code, tok = token()) {
  const c = await Client.connect(server);
  c.token = tok;
  c.joined = await c.ok({ type: 'join', code, token: tok });
  return c;
}

export async function projector(server, code) {
  const c = await Client.connect(server);
  c.joined = await c.ok({ type: 'watch', code });
  return c;
}

/** Starts a session of the conformance scenario; returns { code, started }. */
export async function startSession(f, { scenario = 'conf', options } = {}) {
  const started = await f.ok({ type: 'start', scenario, ...(options ? { options } : {}) });
  return { code: started.code, started };
}

export async function httpGet(server, path, headers = {}) {
  const res = await fetch((server.nextOrigin ? server.nextOrigin() : server.origin) + path, { headers });
  const body = await res.text();
  return { status: res.status, headers: res.headers, body };
}

/** Expected consensus, computed from the contract's formula: 1 - H/log2(k). */
export function consensus(counts) {
  const values = Object.values(counts);
  const k = values.length;
  const n = values.reduce((a, b) => a + b, 0);
  if (n === 0) return undefined;
  let h = 0;
  for (const v of values) if (v > 0) { const p = v / n; h -= p * Math.log2(p); }
  return 1 - h / Math.log2(k);
}

export function approx(actual, expected, eps = 0.011, msg = '') {
  if (typeof actual !== 'number' || Math.abs(actual - expected) > eps)
    throw new Error(`${msg} expected ~${expected}, got ${JSON.stringify(actual)}`);
}

/** A facilitator, a fresh session and n joined participants. */
export async function group(server, n, { options, scenario } = {}) {
  const f = await facilitator(server);
  const { code, started } = await startSession(f, { options, scenario });
  const ps = [];
  for (let i = 0; i < n; i++) ps.push(await participant(server, code));
  return { f, code, started, ps, close() { f.close(); for (const p of ps) p.close(); } };
}

/** Asserts that a connection is still healthy: a harmless request still gets its reply. */
export async function alive(c) {
  const r = await c.request({ type: 'no_such_type_ping' });
  if (r.type !== 'error' || r.code !== 'bad_message') throw new Error(`not alive: ${JSON.stringify(r)}`);
}

/** The facilitator's latest perspectives push for a question. */
export function lastOf(c, pred, from = 0) {
  const list = c.since(from, pred);
  return list[list.length - 1];
}
