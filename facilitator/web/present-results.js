// The projector's additions to a results chart: what the agreement number means, in words a room reads at
// a glance, and the round before a re-vote as faded bars. Strings come from the tables (i18n.js).
import { h } from './client.js';
import { t, language } from './i18n.js';

const pct = (n, d) => (d > 0 ? Math.round((100 * n) / d) : 0);
const was = (p) => ` ${t('present.was', { p })}`;

// The majority line of a choice tally: the most chosen option(s) and their share of those who answered.
function majority(q, counts, answers) {
  const top = Math.max(0, ...q.options.map((o) => counts[o.id] || 0));
  if (!top) return null;
  const leaders = q.options.filter((o) => (counts[o.id] || 0) === top).map((o) => o.label);
  const p = pct(top, answers);
  if (leaders.length > 1) return t('present.tie', { labels: new Intl.ListFormat(language(), { type: 'conjunction' }).format(leaders.map((l) => t('present.quoted', { label: l }))), p });
  return t(p > 50 ? 'present.majority' : 'present.no_majority', { label: leaders[0], p });
}

/**
 * What a tally's agreement means, for the room: for a choice, the majority line and then the agreement
 * (1 - H/log2 k, docs/protocol.md) with its two ends named; for a model grid, what its column means.
 */
export function agreementNote(q, tally, answers) {
  if (q.type === 'model_outcome')
    return h('p', { class: 'agreement-note' }, t('present.agreement_models', { k: (q.outcomes || []).length }));
  if (typeof tally.consensus !== 'number' || !q.options) return null;
  const line = majority(q, tally.counts || {}, answers);
  return h('div', { class: 'agreement-note' },
    line ? h('p', { class: 'majority' }, line) : null,
    h('p', {}, t('present.agreement', { p: Math.round(tally.consensus * 100), k: q.options.length })));
}

/**
 * The round before a choice question's re-vote, as renderResults' `before` option: the tally the projector
 * saw of that round, or else (the page was reloaded) the shift's "from" side over those who voted both
 * times (single-answer questions only carry a shift). Null when there is neither, or before round 2.
 */
export function roundBefore(q, r, history) {
  if (q.type !== 'choice' || !r.tally || r.round < 2) return null;
  const seen = history && history[r.round - 1];
  if (seen && seen.tally) {
    const counts = seen.tally.counts || {};
    const answers = seen.ballots - (seen.tally.abstained || 0);
    const shares = Object.fromEntries(q.options.map((o) => [o.id, pct(counts[o.id] || 0, answers)]));
    return { shares, was, legend: t('present.before', { before: r.round - 1, round: r.round }) };
  }
  const shift = r.tally.shift;
  if (!shift || !shift.compared) return null;
  const from = {};
  for (const [f, tos] of Object.entries(shift.transitions || {}))
    from[f] = Object.values(tos).reduce((a, b) => a + b, 0);
  const shares = Object.fromEntries(q.options.map((o) => [o.id, pct(from[o.id] || 0, shift.compared)]));
  return { shares, was, legend: t('present.before_compared', { before: r.round - 1, round: r.round, n: shift.compared }) };
}
