// The console's lens choice for an assigned model_outcome question (issue 11): how many lenses the next round
// deals over the participants present, and the warning when that leaves every lens's row below the threshold.
import { h } from './client.js';
import { t } from './i18n.js';

/** True for a question that deals lenses: an assigned model_outcome question of a case with models. */
export const dealsLenses = (qv) => !!qv && qv.type === 'model_outcome' && !!qv.assign && (qv.models || []).length > 0;

/** The choices for a case with n models: all n, two, or everyone takes every lens (0). */
function choices(n) {
  const out = [[n, t('lenses.all', { n })]];
  if (n > 2) out.push([2, t('lenses.two')]);
  out.push([0, t('lenses.every')]);
  return out;
}

/** The select of the open-round controls; `chosen` the count now, `onchange(count)` when it changes. */
export function lensPicker(qv, chosen, onchange) {
  const select = h('select', { id: 'lenses', onchange: () => onchange(Number(select.value)) },
    choices(qv.models.length).map(([n, label]) => h('option', { value: String(n), selected: n === chosen }, label)));
  return h('span', { class: 'row' }, h('label', { for: 'lenses' }, t('lenses.label')), select);
}

/**
 * Before opening: a warning when `present` participants over `lenses` lenses (0: every lens for everyone) leave
 * every lens's row below `minGroup` answers, so the facilitator is not surprised by an empty grid.
 */
export function smallGroupWarning(qv, present, minGroup, lenses) {
  if (!dealsLenses(qv)) return null;
  const most = lenses > 0 ? Math.ceil(present / lenses) : present;
  if (most >= minGroup) return null;
  const params = { present: t('count.participants', { n: present }), lenses, most: t('count.answers', { n: most }), min: minGroup };
  return h('p', { class: 'warning', id: 'small-group', role: 'status' },
    t(lenses > 0 ? 'lenses.small_group' : 'lenses.small_group_every', params));
}

/** The start row's choice for the whole session: the case's own count (nothing sent), two, or every lens (0). */
export function startLensPicker(id) {
  const select = h('select', { id },
    [['', t('lenses.case')], ['2', t('lenses.two')], ['0', t('lenses.every')]].map(([v, label]) => h('option', { value: v }, label)));
  return { el: h('span', { class: 'check' }, h('label', { for: id }, t('lenses.label')), select),
    value: () => (select.value === '' ? null : Number(select.value)) };
}
