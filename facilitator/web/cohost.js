// The session view's co-host box (docs/protocol.md "cohost_key"): a /host link with a key that drives this one
// session until it ends. The link is shown to the facilitator only; a new one replaces the one before.
import { h } from './client.js';
import { t, errorText } from './i18n.js';

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
      Object.assign(state, { code, link: '', error: t('cohost.failed', { reason: errorText(e) }) });
    }
    redraw();
  };
  const mine = state.code === code;
  const link = mine && state.link
    ? h('input', { id: 'cohost-link', readonly: true, value: state.link, 'aria-label': t('cohost.link') })
    : null;
  const copy = link ? h('button', { type: 'button', class: 'small', onclick: async () => {
    try { await navigator.clipboard.writeText(state.link); copy.textContent = t('run.copied'); } catch { link.select(); }
  } }, t('cohost.copy')) : null;
  return h('div', { class: 'cohost' },
    h('h3', {}, t('cohost.title')),
    h('p', { class: 'muted' }, t('cohost.about')),
    h('div', { class: 'row' },
      h('button', { type: 'button', class: 'secondary', id: 'cohost-mint', onclick: mint },
        link ? t('cohost.mint_new') : t('cohost.mint')),
      link, copy),
    mine && state.error ? h('p', { class: 'error', role: 'alert' }, state.error) : null);
}
