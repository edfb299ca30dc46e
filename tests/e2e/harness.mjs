// Test harness for the browser tests: a real `facilitator serve` child process and Debian's Chromium
// driven by playwright-core, with every request checked to stay on the server's origin.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const outDir = join(root, 'test-output');

/** Starts the server on a free port; resolves once it printed `listening on http://...`. */
export async function startServer({ key, scenarios = join(root, 'tests/fixtures/server'), extra = [] }) {
  const dir = mkdtempSync(join(tmpdir(), 'roundtable-e2e-'));
  // ROUNDTABLE_WEB_ROOT=facilitator/web: test the pages as edited, without rebuilding the embedded copy.
  if (process.env.ROUNDTABLE_WEB_ROOT) extra = [...extra, '--web-root', process.env.ROUNDTABLE_WEB_ROOT];
  const child = spawn(join(root, 'build/bin/facilitator'),
    ['serve', '--port', '0', '--db', join(dir, 'rt.db'), '--key', key, '--scenarios', scenarios, ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr.on('data', (d) => { output += d; });
  const origin = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      output += d;
      const m = output.match(/listening on (http:\/\/[^\s]+)/);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`the server exited (${code}) before listening:\n${output}`)));
  });
  return {
    origin,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium, headless, with nothing of its own reaching the network. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A browser context whose every request (pages, assets, WebSockets) is recorded in `foreign` unless it goes
 * to `origin`; foreign requests are aborted, so a page that tries one still fails the test, not the network.
 * Page errors (uncaught exceptions) are collected in `errors`.
 */
export async function newContext(browser, origin, options, watch) {
  const ctx = await browser.newContext(options);
  const ws = origin.replace(/^http/, 'ws');
  await ctx.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`)) return route.continue();
    watch.foreign.push(url);
    return route.abort();
  });
  ctx.on('page', (p) => attach(p));
  const attach = (p) => {
    p.on('websocket', (s) => { if (!s.url().startsWith(`${ws}/`)) watch.foreign.push(s.url()); });
    p.on('pageerror', (e) => watch.errors.push(`${p.url()}: ${e.message}`));
    p.on('request', (r) => {
      if (!r.url().startsWith(`${origin}/`) && !r.url().startsWith('blob:') && !r.url().startsWith('data:'))
        watch.foreign.push(r.url());
    });
  };
  return ctx;
}

export function ensureOutDir() {
  mkdirSync(outDir, { recursive: true });
  return outDir;
}
