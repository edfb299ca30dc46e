// The projector's additions to a results chart: what the agreement number means, in words a room reads at
// a glance, and the round before a re-vote as faded bars. Strings come from the page's TEXT table.
import { h } from './client.js';

const pct = (n, d) => (d > 0 ? Math.round((100 * n) / d) : 0);

// The majority line of a choice tally: the most chosen option(s) and their share of those who answered.
function majority(q, counts, answers, text) {
  const top = Math.max(0, ...q.options.map((o) => counts[o.id] || 0));
  if (!top) return null;
  const leaders = q.options.filter((o) => (counts[o.id] || 0) === top).map((o) => o.label);
  const p = pct(top, answers);
  if (leaders.length > 1) return text.tie(text.and(leaders.map((l) => `“${l}”`)), p);
  return p > 50 ? text.majority(leaders[0], p) : text.noMajority(leaders[0], p);
}

/**
 * What a tally's agreement means, for the room: for a choice, the majority line and then the agreement
 * (1 - H/log2 k, docs/protocol.md) with its two ends named; for a model grid, what its column means.
 */
export function agreementNote(q, tally, answers, text) {
  if (q.type === 'model_outcome')
    return h('p', { class: 'agreement-note' }, text.agreementModels((q.outcomes || []).length));
  if (typeof tally.consensus !== 'number' || !q.options) return null;
  const line = majority(q, tally.counts || {}, answers, text);
  return h('div', { class: 'agreement-note' },
    line ? h('p', { class: 'majority' }, line) : null,
    h('p', {}, text.agreement(Math.round(tally.consensus * 100), q.options.length)));
}

/**
 * The round before a choice question's re-vote, as renderResults' `before` option: the tally the projector
 * saw of that round, or else (the page was reloaded) the shift's "from" side over those who voted both
 * times (single-answer questions only carry a shift). Null when there is neither, or before round 2.
 */
export function roundBefore(q, r, history, text) {
  if (q.type !== 'choice' || !r.tally || r.round < 2) return null;
  const seen = history && history[r.round - 1];
  if (seen && seen.tally) {
    const counts = seen.tally.counts || {};
    const answers = seen.ballots - (seen.tally.abstained || 0);
    const shares = Object.fromEntries(q.options.map((o) => [o.id, pct(counts[o.id] || 0, answers)]));
    return { shares, was: text.was, legend: text.before(r.round) };
  }
  const shift = r.tally.shift;
  if (!shift || !shift.compared) return null;
  const from = {};
  for (const [f, tos] of Object.entries(shift.transitions || {}))
    from[f] = Object.values(tos).reduce((a, b) => a + b, 0);
  const shares = Object.fromEntries(q.options.map((o) => [o.id, pct(from[o.id] || 0, shift.compared)]));
  return { shares, was: text.was, legend: text.beforeCompared(r.round, shift.compared) };
}
