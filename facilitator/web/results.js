// Renders results (the `results` push) and perspectives for every question type, on every page.
// Every option is always drawn (with 0), and bars change width only, so updates never move the layout.
import { h } from './client.js';
import { t, number } from './i18n.js';
import { shiftDetails } from './shifts.js';

const pct = (n, d) => (d > 0 ? Math.round((100 * n) / d) : 0);

function labelOf(list, id) {
  const o = (list || []).find((x) => x.id === id);
  return o ? o.label || o.name : id;
}

const width = (el, share) => { el.style.width = `${Math.max(0, Math.min(100, share))}%`; return el; };

/**
 * One horizontal bar: label, bar, "n (p%)" or a custom value text; `id` keys the row; `before`: the share
 * of an earlier round, drawn as a faded bar above this one.
 */
function bar(label, share, valueText, id, before) {
  const ghost = typeof before === 'number' ? width(h('span', { class: 'fill before' }), before) : null;
  return h('li', { class: 'bar-row', 'data-option': id },
    h('span', { class: 'bar-label' }, label),
    h('span', { class: ghost ? 'bar-track paired' : 'bar-track', 'aria-hidden': 'true' }, ghost, width(h('span', { class: 'fill' }), share)),
    h('span', { class: 'bar-value' }, valueText));
}

// `before`: {shares: {OPT: percent}, was(percent) -> text, legend}, the round before, or null.
function choiceBars(q, r, before) {
  const counts = r.tally.counts || {};
  const legend = before ? h('p', { class: 'before-legend', 'aria-hidden': 'true' }, h('span', { class: 'swatch before' }), before.legend) : null;
  return [legend, h('ul', { class: before ? 'bars paired' : 'bars', 'aria-label': t('results.per_option') },
    q.options.map((o) => {
      const n = counts[o.id] || 0;
      const was = before ? before.shares[o.id] || 0 : null;
      return bar(o.label, pct(n, r.ballots), `${n} · ${pct(n, r.ballots)}%${before ? before.was(was) : ''}`, o.id, was);
    }))];
}

function histogram(q, r) {
  const hist = r.tally.histogram || {};
  const values = [];
  for (let v = q.min; v <= q.max; v++) values.push(v);
  const top = Math.max(1, ...values.map((v) => hist[String(v)] || 0));
  const cols = values.map((v) => {
    const n = hist[String(v)] || 0;
    const col = h('span', { class: 'col-fill' });
    col.style.height = `${(100 * n) / top}%`;
    return h('li', { class: 'col', 'aria-label': `${v}: ${n} (${pct(n, r.ballots)}%)` },
      h('span', { class: 'col-value' }, `${n}`),
      h('span', { class: 'col-track' }, col),
      h('span', { class: 'col-label' }, `${v}`));
  });
  const s = r.tally;
  const fmt = (x) => (typeof x === 'number' ? number(x, 1) : '–');
  return h('div', { class: 'histogram' },
    h('ul', { class: 'cols' }, cols),
    q.labels ? h('p', { class: 'scale-ends' }, h('span', {}, `${q.min}: ${q.labels.min}`), h('span', {}, `${q.max}: ${q.labels.max}`)) : null,
    h('p', { class: 'stats' }, t('results.stats', { mean: fmt(s.mean), median: fmt(s.median), spread: fmt(s.stdev) })));
}

// `unit`: the table key of the value's words ("{n} points"), plural by the value.
function totals(q, values, unit, extra) {
  const top = Math.max(1, ...q.options.map((o) => values[o.id] || 0));
  const sorted = [...q.options].sort((a, b) => (values[b.id] || 0) - (values[a.id] || 0));
  return h('ul', { class: 'bars', 'aria-label': t(`${unit}_label`) },
    sorted.map((o) => bar(o.label, (100 * (values[o.id] || 0)) / top, `${t(unit, { n: values[o.id] || 0 })}${extra ? extra(o) : ''}`, o.id)));
}

function heatmap(q, r) {
  const matrix = r.tally.matrix || {};
  const outcomes = q.outcomes || [];
  const rows = (q.models || []).filter((m) => matrix[m.id]);
  const missing = (q.models || []).length - rows.length;
  // An assigned model's row is held back while it has fewer ballots than the anonymity threshold.
  const note = missing ? h('p', { class: 'muted' }, t('results.models_hidden', { n: missing })) : null;
  return h('div', { class: 'heatmap-box' }, heatmapTable(q, matrix, outcomes, rows, r.tally.consensus), note);
}

function heatmapTable(q, matrix, outcomes, rows, agreement) {
  // The per-model agreement the tally computes (1 - H/log2 k over that model's row), as its last column.
  const perModel = agreement && typeof agreement === 'object' ? agreement : null;
  return h('table', { class: 'heatmap' },
    h('caption', { class: 'sr-only' }, t('results.heatmap_caption')),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('results.model')), outcomes.map((o) => h('th', { scope: 'col' }, o.label)),
      perModel ? h('th', { scope: 'col' }, t('results.agreement')) : null)),
    h('tbody', {}, rows.map((m) => {
      const row = matrix[m.id];
      const total = outcomes.reduce((s, o) => s + (row[o.id] || 0), 0);
      return h('tr', {}, h('th', { scope: 'row' }, m.name), outcomes.map((o) => {
        const n = row[o.id] || 0;
        const share = total ? n / total : 0;
        // Five steps of one hue; text flips to white where the cell is dark (AA contrast both ways).
        const step = Math.min(4, Math.ceil(share * 4));
        return h('td', { class: `heat heat-${step}` }, `${n}`, h('span', { class: 'heat-pct' }, ` ${pct(n, total)}%`));
      }), perModel && typeof perModel[m.id] === 'number'
        ? h('td', { class: 'agreement' }, `${Math.round(perModel[m.id] * 100)}%`) : perModel ? h('td', {}, '–') : null);
    })));
}

/** The before-to-after view of a re-vote: how many moved, and from where to where (in aggregate). */
function shiftView(q, r) {
  const s = r.tally.shift;
  if (!s) return null;
  const labels = q.type === 'model_outcome' ? q.outcomes : q.options;
  const tableOf = (transitions, names) => table(transitions, t('results.moves'), names);
  const table = (transitions, caption, names = labels) => {
    const froms = Object.keys(transitions);
    if (!froms.length) return null;
    const tos = [...new Set(froms.flatMap((f) => Object.keys(transitions[f])))];
    return h('table', { class: 'shift' },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('results.before_after_axes')), tos.map((to) => h('th', { scope: 'col' }, labelOf(names, to))))),
      h('tbody', {}, froms.map((f) => h('tr', {}, h('th', { scope: 'row' }, labelOf(names, f)),
        tos.map((to) => h('td', { class: to === f ? 'same' : 'moved' }, `${transitions[f][to] || 0}`))))));
  };
  const summary = h('p', { class: 'shift-summary' },
    t('results.changed', { n: s.changed, compared: s.compared }));
  if (q.type === 'model_outcome')
    return h('div', { class: 'shift-box' }, h('h3', {}, t('results.before_after')), summary,
      Object.keys(s.transitions || {}).map((m) => table(s.transitions[m], labelOf(q.models, m))));
  // A scale's values label themselves; multiple choice, points and rank draw their own table (shifts.js).
  const scaleLabels = q.type === 'scale' ? null : labels;
  return h('div', { class: 'shift-box' }, h('h3', {}, t('results.before_after')), summary, shiftDetails(q, s),
    s.transitions ? tableOf(s.transitions, scaleLabels) : null);
}

/**
 * The results of question `q` (a question view) from `r` (a results push, or a discussion's results entry).
 * `minGroup`: the anonymity threshold, for the suppressed message. `opts.before`: the round before, as
 * faded bars (a choice question; see choiceBars); `opts.agreement(q, tally, answers)`: an element that
 * says what the agreement means, shown instead of the bare percentage.
 */
export function renderResults(q, r, minGroup, opts = {}) {
  const head = h('p', { class: 'results-head' },
    t('results.head', { round: r.round, ballots: t('count.ballots', { n: r.ballots }) }));
  if (r.suppressed || !r.tally)
    return h('div', { class: 'results suppressed', 'data-question': q.id }, head,
      h('p', { class: 'muted' }, t(q.abstain ? 'results.suppressed_pass' : 'results.suppressed', { n: minGroup })));
  // Passes are counted apart: shares are of the answers on the options.
  const passed = typeof r.tally.abstained === 'number' ? r.tally.abstained : null;
  if (passed !== null) r = { ...r, ballots: r.ballots - passed };
  let body;
  switch (q.type) {
    case 'choice': body = choiceBars(q, r, opts.before); break;
    case 'scale': body = histogram(q, r); break;
    case 'points': body = totals(q, r.tally.total || {}, 'results.points',
      (o) => (r.tally.mean && typeof r.tally.mean[o.id] === 'number' ? ` ${t('results.points_mean', { mean: number(r.tally.mean[o.id], 1) })}` : '')); break;
    case 'rank': body = totals(q, r.tally.borda || {}, 'results.borda',
      (o) => ` · ${t('results.rank_first', { n: (r.tally.first || {})[o.id] || 0 })}`); break;
    case 'model_outcome': body = heatmap(q, r); break;
    default: body = h('p', {}, t('results.no_chart'));
  }
  const consensus = opts.agreement && r.tally.consensus !== undefined ? opts.agreement(q, r.tally, r.ballots)
    : typeof r.tally.consensus === 'number' ? h('p', { class: 'muted' }, t('results.agreement_pct', { pct: Math.round(r.tally.consensus * 100) })) : null;
  const shift = shiftView(q, r);
  const pass = passed === null ? null
    : h('p', { class: 'abstained' }, t('results.passed', { n: passed }));
  return h('div', { class: shift ? 'results with-shift' : 'results', 'data-question': q.id },
    head, h('div', { class: 'chart' }, body, consensus, pass), shift);
}

/**
 * Perspectives as cards. `opts.endorse(item)`: adds an endorse button (participants);
 * `opts.moderate(item, action)`: adds show/hide buttons (facilitator); `opts.endorsed`: a Set of ids.
 */
export function renderPerspectives(items, opts = {}) {
  if (!items || !items.length) return h('p', { class: 'muted' }, opts.empty || t('persp.none_yet'));
  return h('ul', { class: 'perspectives' }, items.map((it) => {
    const endorsed = opts.endorsed && opts.endorsed.has(it.id);
    return h('li', { class: `perspective${it.shown === false ? ' unshown' : ''}`, 'data-id': it.id },
      h('blockquote', {}, it.text),
      h('p', { class: 'perspective-foot' },
        h('span', { class: 'endorsements' }, t('persp.endorsements', { n: it.endorsements })),
        opts.endorse ? h('button', { type: 'button', class: 'small', disabled: endorsed, 'aria-pressed': endorsed ? 'true' : 'false',
          onclick: () => opts.endorse(it) }, endorsed ? t('persp.endorsed') : t('persp.endorse')) : null,
        opts.moderate ? h('span', { class: 'mod' },
          h('span', { class: 'badge' }, it.shown ? t('persp.shown') : t('persp.hidden')),
          h('button', { type: 'button', class: 'small', onclick: () => opts.moderate(it, it.shown ? 'hide' : 'show') },
            it.shown ? t('persp.hide') : t('persp.show'))) : null));
  }));
}
