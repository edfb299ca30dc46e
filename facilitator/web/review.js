// The console's review of an ended session: every question's rounds, tallies, shifts and shown perspectives,
// read-only, from the session's export (so the same anonymity threshold holds back the same numbers), with the
// printable report and a purge that asks first. host.js only opens it and hides it.
import { h } from './client.js';
import { renderResults, renderPerspectives } from './results.js';
import { t, errorText, number } from './i18n.js';

const $ = (id) => document.getElementById(id);

/** A file behind the facilitator key, fetched with it; throws with the status when refused. */
async function keyed(path, key) {
  const res = await fetch(path, { headers: { Authorization: `Bearer ${key}` } });
  if (!res.ok) throw new Error(t('review.http', { status: res.status }));
  return res;
}

/** Saves a fetched file under a name, as a download. */
async function save(res, name) {
  const url = URL.createObjectURL(await res.blob());
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** The question views of the facilitator's SessionView, by question id. */
function questionViews(view) {
  const out = {};
  for (const s of view.stages || []) if (s.question) out[s.id] = { ...s.question, id: s.id };
  return out;
}

/** A model grid's agreement per shown model (its consensus), which the live chart does not draw. */
function modelAgreement(qv, r) {
  const c = r.tally && r.tally.consensus;
  if (qv.type !== 'model_outcome' || !c || typeof c !== 'object') return null;
  const shown = (qv.models || []).filter((m) => typeof c[m.id] === 'number');
  if (!shown.length) return null;
  return h('p', { class: 'muted model-agreement' },
    t('review.agreement_per_model', { list: shown.map((m) => `${m.name} ${Math.round(c[m.id] * 100)}%`).join(' · ') }));
}

/**
 * How a scale, points or rank question moved between two shown rounds when the tally carries no shift (too few
 * answered both, or a session from before shifts of these types): the summary numbers before and after, as the
 * report shows them. Both rounds were shown whole, so this adds nothing.
 */
function summaryShift(qv, before, after) {
  if (!before || !after || !before.tally || !after.tally || before.suppressed || after.suppressed) return null;
  if (after.tally.shift) return null;  // drawn with the round (results.js)
  const fix = (x, d) => (typeof x === 'number' ? number(x, d) : '–');
  let rows;
  if (qv.type === 'scale') rows = [[t('review.mean'), fix(before.tally.mean, 2), fix(after.tally.mean, 2)]];
  else if (qv.type === 'points' || qv.type === 'rank') {
    const key = qv.type === 'points' ? 'mean' : 'borda';
    rows = (qv.options || []).map((o) => [o.label, fix((before.tally[key] || {})[o.id], qv.type === 'points' ? 2 : 0),
      fix((after.tally[key] || {})[o.id], qv.type === 'points' ? 2 : 0)]);
  } else return null;
  return h('div', { class: 'shift-box' }, h('h3', {}, t('results.before_after')),
    h('table', { class: 'shift' }, h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', { scope: 'col' }, t('review.before')),
      h('th', { scope: 'col' }, t('review.after')))),
    h('tbody', {}, rows.map(([label, b, a]) => h('tr', {}, h('th', { scope: 'row' }, label), h('td', {}, b), h('td', {}, a))))));
}

/** One question of the export: each round as the live pages draw it, then the perspectives the room saw. */
function questionReview(q, qv, minGroup) {
  const rounds = q.rounds.length
    ? q.rounds.filter(() => q.type !== 'text').flatMap((r, i) => [renderResults(qv, r, minGroup), modelAgreement(qv, r),
      i > 0 ? summaryShift(qv, q.rounds[i - 1], r) : null]).filter(Boolean)
    : [h('p', { class: 'muted' }, t('review.never_opened'))];
  const shown = (q.perspectives || []).filter((p) => p.shown);
  const perspectives = q.type === 'text' || shown.length
    ? [h('h4', {}, t('review.perspectives_shown')), renderPerspectives(shown, { empty: t('review.none_shown') })] : [];
  return h('section', { class: 'card review-question', 'data-question': q.id },
    h('h3', {}, qv.prompt || q.prompt), ...rounds, ...perspectives);
}

/**
 * Opens the review of the ended session `code` in #review.
 * `ctx.request(msg)`: a console request; `ctx.key()`: the facilitator key; `ctx.back()`: returns to the list.
 */
export async function openReview(code, ctx) {
  const box = $('review');
  box.replaceChildren(h('p', { class: 'muted' }, t('common.loading')));
  box.hidden = false;
  $('home').hidden = true;
  $('run').hidden = true;
  try {
    const attached = await ctx.request({ type: 'attach', code });
    const exported = await (await keyed(`/api/sessions/${code}/export.json`, ctx.key())).json();
    draw(box, code, attached.session, exported, ctx);
  } catch (e) {
    box.replaceChildren(h('p', { class: 'error', role: 'alert' }, t('review.cannot_open', { code, reason: errorText(e) })), backButton(ctx));
  }
}

function backButton(ctx) {
  return h('button', { type: 'button', class: 'link', id: 'review-back', onclick: () => ctx.back() },
    t('common.back_to_list'));
}

function draw(box, code, view, exported, ctx) {
  const views = questionViews(view);
  const status = h('p', { role: 'status', id: 'review-status' });
  const report = h('button', { type: 'button', id: 'review-report', onclick: async () => {
    try { await save(await keyed(`/api/sessions/${code}/report.html`, ctx.key()), `roundtable-${code}-report.html`); }
    catch (e) { status.textContent = t('review.report_failed', { reason: errorText(e) }); }
  } }, t('review.report'));
  const actions = h('div', { class: 'row' }, report, purgeButton(code, ctx, status));
  box.replaceChildren(
    h('section', { class: 'card' },
      h('h1', {}, t('review.title', { title: view.scenario.title })),
      h('p', { class: 'muted' }, t('review.about', { code, participants: t('count.participants', { n: exported.participants }),
        state: exported.ended ? t('session.ended') : t('review.running'), n: exported.min_group })),
      actions, status, backButton(ctx)),
    ...exported.questions.map((q) => questionReview(q, views[q.id] || q, exported.min_group)));
}

/** Purge asks first: the first press turns into "Yes, delete … for good" and "Cancel". */
function purgeButton(code, ctx, status) {
  const box = h('span', { class: 'row' });
  const ask = () => box.replaceChildren(
    h('button', { type: 'button', class: 'danger', id: 'review-purge-confirm', onclick: async () => {
      try {
        await ctx.request({ type: 'purge', code });
        ctx.back();
      } catch (e) { status.textContent = t('review.not_deleted', { reason: errorText(e) }); idle(); }
    } }, t('review.purge_yes', { code })),
    h('button', { type: 'button', onclick: idle }, t('common.cancel')));
  const idle = () => box.replaceChildren(
    h('button', { type: 'button', class: 'danger', id: 'review-purge', onclick: ask }, t('review.purge')));
  idle();
  return box;
}
