// The session view's co-host box (docs/protocol.md "cohost_key"): a /host link with a key that drives this one
// session until it ends. The link is shown to the facilitator only; a new one replaces the one before.
import { h } from './client.js';

/**
 * The box, or nothing where no co-host can be added (an ended session, or a console that is itself a co-host).
 * state: { code, link } of the last link minted; request(msg) sends a request; redraw() draws the view again.
 */
export function cohostBox({ code, ended, role, state, request, redraw }) {
  if (ended || role === 'cohost') return null;
  const mint = async () => {
    try {
      const r = await request({ type: 'cohost_key', code });
      Object.assign(state, { code, link: `${location.origin}/host#key=${encodeURIComponent(r.key)}`, error: '' });
    } catch (e) {
      Object.assign(state, { code, link: '', error: `No co-host link: ${e.message}` });
    }
    redraw();
  };
  const mine = state.code === code;
  const link = mine && state.link
    ? h('input', { id: 'cohost-link', readonly: true, value: state.link, 'aria-label': 'Co-host link (keep it private)' })
    : null;
  const copy = link ? h('button', { type: 'button', class: 'small', onclick: async () => {
    try { await navigator.clipboard.writeText(state.link); copy.textContent = 'Copied'; } catch { link.select(); }
  } }, 'Copy') : null;
  return h('div', { class: 'cohost' },
    h('h3', {}, 'Co-host'),
    h('p', { class: 'muted' }, 'A link that lets someone else drive this session, and nothing else, until it ends. '
      + 'Making a new link stops the old one.'),
    h('div', { class: 'row' },
      h('button', { type: 'button', class: 'secondary', id: 'cohost-mint', onclick: mint },
        link ? 'Make a new co-host link' : 'Make a co-host link'),
      link, copy),
    mine && state.error ? h('p', { class: 'error', role: 'alert' }, state.error) : null);
}
