// The WebSocket client every page uses: one connection to this server's /ws, reconnect with exponential
// backoff and jitter, request ids, and a promise per request that settles on the reply echoing its id.
import { t, onLanguage } from './i18n.js';

const REPLY_TIMEOUT_MS = 15000;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 15000;

/**
 * A request the server refused, or that got no reply: `code` is the protocol's error code, `details` the
 * error's details when it has them (invalid_scenario: [{path, rule}]).
 */
export class RequestError extends Error {
  constructor(code, message, details, more) {
    super(message);
    this.code = code;
    this.details = details;
    this.more = more; // how many details the server left out (more_details)
  }
}

/**
 * One logical connection that survives network drops.
 * - onopen(): called after every (re)connect; send join/host/watch there.
 * - onpush(msg): every message that is not the reply to a pending request.
 * - onstate(state, detail): 'connecting' | 'open' | 'waiting' (detail: seconds until retry) | 'idle' | 'stopped'.
 * - wanted(): whether the page has something to do on a connection (a code to join, a key to host
 *   with). The server closes a connection that takes no role within its handshake timeout, so a page
 *   with nothing to do goes idle instead of reconnecting, and start() wakes it when it has.
 */
export class Connection {
  constructor({ onopen, onpush, onstate, wanted }) {
    this.onopen = onopen;
    this.wanted = wanted || (() => true);
    this.onpush = onpush;
    this.onstate = onstate || (() => {});
    this.pending = new Map();
    this.prefix = Math.random().toString(36).slice(2, 8);
    this.next = 1;
    this.attempt = 0;
    this.ws = null;
    this.stopped = false;
    this.timer = null;
    window.addEventListener('online', () => this.retryNow());
    // A phone that sleeps loses its socket and pauses its timers: when the page is shown again, reconnect at
    // once instead of waiting out the backoff, or for an 'online' event that a phone on Wi-Fi never fires.
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.wake();
    });
  }

  /** The page is visible again: reconnect now if the page has something to do and no socket is open. */
  wake() {
    if (this.wanted()) this.retryNow();
  }

  /** Opens the connection (and keeps it open until stop()); does nothing while one is open or opening. */
  start() {
    this.stopped = false;
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) return;
    clearTimeout(this.timer);
    this.connect();
  }

  /** Closes for good: no reconnect. */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000);
    this.onstate('stopped');
  }

  /** Skips the wait before the next attempt (the network came back). */
  retryNow() {
    if (this.stopped || (this.ws && this.ws.readyState <= WebSocket.OPEN)) return;
    clearTimeout(this.timer);
    this.connect();
  }

  get isOpen() {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  connect() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    this.onstate('connecting');
    const ws = new WebSocket(`${scheme}://${location.host}/ws`);
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.onstate('open');
      this.onopen();
    };
    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      const p = msg.id !== undefined ? this.pending.get(msg.id) : undefined;
      if (!p) return this.onpush(msg);
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.type === 'error') p.reject(new RequestError(msg.code, msg.message, msg.details, msg.more_details));
      else p.resolve(msg);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      // Replies to what was in flight will never come on this connection.
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new RequestError('disconnected', 'the connection dropped before the server answered'));
        this.pending.delete(id);
      }
      if (this.stopped) return;
      if (!this.wanted()) {
        this.attempt = 0;
        return this.onstate('idle');
      }
      // Exponential backoff with full jitter, so a room of phones does not reconnect in lockstep.
      const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt);
      const delay = cap / 2 + Math.random() * (cap / 2);
      this.attempt = Math.min(this.attempt + 1, 10);
      this.onstate('waiting', Math.ceil(delay / 1000));
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  /** Sends msg with a fresh id; resolves with the server's reply, rejects with a RequestError. */
  request(msg) {
    return new Promise((resolve, reject) => {
      if (!this.isOpen) return reject(new RequestError('disconnected', 'not connected to the server'));
      const id = `${this.prefix}-${this.next++}`;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError('timeout', 'the server did not answer in time'));
      }, REPLY_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ ...msg, id }));
    });
  }
}

// The elements showing a connection state, written again when the language changes.
const stateElements = new Set();
onLanguage(() => {
  for (const el of stateElements) if (el.isConnected) showState(el, el.dataset.state, Number(el.dataset.detail));
});

/** Shows the connection state in plain words in element `el`. */
export function showState(el, state, detail) {
  el.textContent = state === 'idle' ? '' : t(`conn.${state}`, { n: detail });
  el.dataset.state = state;
  el.dataset.detail = detail ?? '';
  el.removeAttribute('data-i18n');  // no longer the page's static "Not connected"
  stateElements.add(el);
}

/** Creates an element: h('p', {class: 'x', onclick: f}, 'text', child...). Text is never parsed as HTML. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** The paragraphs of a body as <p> elements. */
export function paragraphs(list) {
  return (list || []).map((t) => h('p', {}, t));
}

/**
 * A countdown in `el` to `deadline` (ms since epoch); returns a function that stops it. `label`: the table key
 * of the text around the time ({time}).
 */
export function countdown(el, deadline, label = 'timer.left') {
  const tick = () => {
    const s = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    const time = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
    el.textContent = t(label, { time });
  };
  tick();
  const interval = setInterval(tick, 1000);
  return () => clearInterval(interval);
}
