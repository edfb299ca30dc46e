// Test harness for the browser tests: a real `facilitator serve` child process and Debian's Chromium
// driven by playwright-core, with every request checked to stay on the server's origin.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const outDir = join(root, 'test-output');

/** Starts the server on a free port; resolves once it printed `listening on http://...`. */
export async function startServer({ key, scenarios = join(root, 'tests/fixtures/server'), extra = [] }) {
  const dir = mkdtempSync(join(tmpdir(), 'roundtable-e2e-'));
  // ROUNDTABLE_WEB_ROOT=facilitator/web: test the pages as edited, without rebuilding the embedded copy.
  if (process.env.ROUNDTABLE_WEB_ROOT) extra = [...extra, '--web-root', process.env.ROUNDTABLE_WEB_ROOT];
  const db = join(dir, 'rt.db');
  const child = spawn(join(root, 'build/bin/facilitator'),
    ['serve', '--port', '0', '--db', db, '--key', key, '--scenarios', scenarios, ...extra],
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
    db, // the SQLite file (its WAL is db + '-wal')
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

/** A participant's phone: the context options every phone-sized page uses. */
export const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true };

/**
 * One server (startServer's options) and one browser for a test file, started before its tests and stopped
 * after them; afterwards no request may have left the server's origin and no page may have thrown.
 * `page(options)` and `context(options)` open watched contexts. `setup` runs once both are up and `cleanup`
 * first at the end (node 20 does not wait for one top-level `before` hook before starting the next).
 */
export function useServerAndBrowser(serverOptions, { setup, cleanup } = {}) {
  const env = {
    server: null,
    browser: null,
    watch: { foreign: [], errors: [] },
    context: (options = {}) => newContext(env.browser, env.server.origin, options, env.watch),
    page: async (options = {}) => (await env.context(options)).newPage(),
  };
  before(async () => {
    env.server = await startServer(serverOptions);
    env.browser = await launchBrowser();
    if (setup) await setup();
  });
  after(async () => {
    if (cleanup) await cleanup();
    if (env.browser) await env.browser.close();
    if (env.server) await env.server.stop();
    assert.deepEqual(env.watch.foreign, [], 'requests left the server');
    assert.deepEqual(env.watch.errors, [], 'page errors');
  });
  return env;
}

export function ensureOutDir() {
  mkdirSync(outDir, { recursive: true });
  return outDir;
}

/**
 * Text on the page whose contrast with its background is below WCAG AA (4.5:1, or 3:1 for large text:
 * 24 px, or 18.66 px bold). The background is the nearest ancestor's opaque background colour.
 */
export async function contrastProblems(page) {
  return page.evaluate(() => {
    const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => {
      const c = [r, g, b].map((v) => {
        const x = v / 255;
        return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    };
    const background = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const problems = [];
    for (const el of document.querySelectorAll('body *')) {
      const hasText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!hasText || !el.checkVisibility()) continue;
      const cs = getComputedStyle(el);
      const fg = rgb(cs.color).slice(0, 3);
      const [a, b] = [lum(fg), lum(background(el))].sort((x, y) => y - x);
      const ratio = (a + 0.05) / (b + 0.05);
      const size = parseFloat(cs.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) problems.push(`${el.tagName}.${el.className} "${el.textContent.trim().slice(0, 30)}": ${ratio.toFixed(2)}`);
    }
    return problems;
  });
}

/**
 * The serious and critical accessibility violations axe-core finds on the page as it is now (WCAG 2.x A and
 * AA rules and axe's best practices), one line each: rule, impact, and the first offending elements.
 */
export async function axeProblems(page) {
  const { AxeBuilder } = await import('@axe-core/playwright');
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}
