// How the group moved between rounds for the question types whose shift has no option-to-option table of its
// own (issue 11): multiple choice (added / dropped per option), points and rank (score gained per option) and
// the scale (up / down and the mean's move; its value-to-value table is drawn like a single choice's).
import { h } from './client.js';
import { t, number } from './i18n.js';

const signed = (n, digits = 0) => `${n > 0 ? '+' : n < 0 ? '−' : '±'}${number(Math.abs(n), digits)}`;

/** One row per option: its label and the number(s) that moved. */
function perOption(q, caption, cols, cells) {
  return h('table', { class: 'shift' },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('shifts.option')), cols.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, q.options.map((o) => h('tr', {}, h('th', { scope: 'row' }, o.label),
      cells(o.id).map((v) => h('td', { class: v === 0 || v === '±0' ? 'same' : 'moved' }, `${v}`))))));
}

/** The parts of a shift box beyond its summary line, or null when the shift is a single choice's or a grid's. */
export function shiftDetails(q, s) {
  if (q.type === 'choice' && s.added)
    return perOption(q, t('shifts.added_dropped'), [t('shifts.added'), t('shifts.dropped')], (id) => [s.added[id] || 0, s.dropped[id] || 0]);
  if (q.type === 'points' && s.delta)
    return perOption(q, t('shifts.points_moved'), [t('shifts.change')], (id) => [signed(s.delta[id] || 0)]);
  if (q.type === 'rank' && s.delta)
    return perOption(q, t('shifts.borda_moved'), [t('shifts.change')], (id) => [signed(s.delta[id] || 0)]);
  if (q.type === 'scale' && typeof s.mean_delta === 'number')
    return h('p', { class: 'shift-scale' },
      t('shifts.scale', { up: s.up, down: s.down, mean: signed(s.mean_delta, 1) }));
  return null;
}
