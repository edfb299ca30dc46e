// The case editor of the console: a format-1 scenario as a form (no JSON in sight). The form edits a
// draft (plain objects with a stable key per row, so focus survives a redraw); toScenario() turns it
// back into format 1 with the rows in the same order, so a validator path such as
// stages[3].question.options[1].id names a row of the draft and is shown next to that field.
import { h } from './client.js';
import { slug, uniqueId, feelings, principles } from './case-template.js';
import { t, TABLES } from './i18n.js';

let seq = 0;
const key = () => `e${++seq}`;
const str = (v) => (typeof v === 'string' ? v : '');
const num = (v) => (typeof v === 'number' ? String(v) : '');
const parasText = (list) => (Array.isArray(list) ? list.filter((p) => typeof p === 'string').join('\n\n') : '');
const splitParas = (text) => text.split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean);
const rows = (list) => (Array.isArray(list) ? list.filter((o) => o && typeof o === 'object') : []);
const optionRows = (list) => rows(list).map((o) => ({ key: key(), id: str(o.id), label: str(o.label) }));

// The question types and stage kinds, each with the table key of its name in the editor.
export const QUESTION_TYPES = {
  choice: 'qtype.choice',
  scale: 'qtype.scale',
  points: 'qtype.points',
  rank: 'qtype.rank',
  model_outcome: 'qtype.model_outcome',
  text: 'qtype.text',
};
const KINDS = { case: 'editor.kind.case', question: 'editor.kind.question', discussion: 'editor.kind.discussion', revote: 'editor.kind.revote' };

function questionDraft(q = {}) {
  return {
    type: QUESTION_TYPES[q.type] ? q.type : 'choice',
    prompt: str(q.prompt),
    fromOutcomes: q.options === 'outcomes',
    options: optionRows(q.options),
    max_choices: num(q.max_choices),
    min: num(q.min ?? 1),
    max: num(q.max ?? 5),
    labelMin: str(q.labels?.min),
    labelMax: str(q.labels?.max),
    budget: num(q.budget ?? 10),
    assign: q.assign === true,
    max_length: num(q.max_length ?? 280),
  };
}

function stageDraft(st) {
  return {
    key: key(),
    id: str(st.id),
    kind: KINDS[st.kind] ? st.kind : 'case',
    title: str(st.title),
    bodyText: parasText(st.body),
    question: questionDraft(st.question || {}),
    show: Array.isArray(st.show) ? st.show.filter((s) => typeof s === 'string') : [],
    of: str(st.of),
  };
}

/** The editable draft of a format-1 scenario (anything missing starts empty). */
export function draftOf(s) {
  return {
    id: str(s.id),
    lang: str(s.lang),
    title: str(s.title),
    summary: str(s.summary),
    caseText: parasText(s.case),
    models: rows(s.models).map((m) => ({ key: key(), id: str(m.id), name: str(m.name), prompt: str(m.prompt) })),
    outcomes: optionRows(s.outcomes),
    stages: rows(s.stages).map(stageDraft),
  };
}

// Ids the user never sees: a row keeps the id it had; a new row gets one from its label, once.
function withIds(list, text, fallback) {
  const taken = new Set(list.map((o) => o.id).filter(Boolean));
  for (const [i, o] of list.entries()) {
    if (o.id) continue;
    o.id = uniqueId(slug(o[text], `${fallback}-${i + 1}`), taken);
    taken.add(o.id);
  }
  return list;
}

const maybeNumber = (v) => (String(v).trim() === '' || Number.isNaN(Number(v)) ? undefined : Number(v));

function questionOut(q) {
  const out = { type: q.type, prompt: q.prompt };
  const options = () => withIds(q.options, 'label', 'option').map((o) => ({ id: o.id, label: o.label }));
  if (q.type === 'choice') {
    out.options = q.fromOutcomes ? 'outcomes' : options();
    const m = maybeNumber(q.max_choices);
    if (m !== undefined && m !== 1) out.max_choices = m;
  } else if (q.type === 'scale') {
    out.min = maybeNumber(q.min);
    out.max = maybeNumber(q.max);
    if (q.labelMin.trim() || q.labelMax.trim()) out.labels = { min: q.labelMin, max: q.labelMax };
  } else if (q.type === 'points') {
    out.budget = maybeNumber(q.budget);
    out.options = options();
  } else if (q.type === 'rank') {
    out.options = q.fromOutcomes ? 'outcomes' : options();
  } else if (q.type === 'model_outcome') {
    out.assign = q.assign;
  } else if (q.type === 'text') {
    const m = maybeNumber(q.max_length);
    if (m !== undefined) out.max_length = m;
  }
  return out;
}

function stageOut(st) {
  const out = { id: st.id, kind: st.kind, title: st.title };
  const body = splitParas(st.bodyText);
  if (body.length) out.body = body;
  if (st.kind === 'question') out.question = questionOut(st.question);
  if (st.kind === 'discussion') out.show = st.show;
  if (st.kind === 'revote') out.of = st.of;
  return out;
}

/** The draft as format 1, rows in the draft's order (a validator path indexes the draft). */
export function toScenario(d) {
  const s = { format: 1, id: d.id.trim() };
  if (d.lang) s.lang = d.lang;
  Object.assign(s, { title: d.title, summary: d.summary, case: splitParas(d.caseText) });
  if (d.models.length)
    s.models = withIds(d.models, 'name', 'model').map((m) => ({ id: m.id, name: m.name, prompt: m.prompt }));
  if (d.outcomes.length) s.outcomes = withIds(d.outcomes, 'label', 'outcome').map((o) => ({ id: o.id, label: o.label }));
  s.stages = d.stages.map(stageOut);
  return s;
}

// ---- Where a validator path is shown ----

// The field a path names, or the nearest enclosing one: "stages[3].question.options[1].id" is shown on that
// option's label; "case[2]" on the case text; "stages[2].show[0]" on the list of questions it shows.
export function fieldFor(form, path) {
  const find = (p) => form.querySelector(`[data-path="${CSS.escape(p)}"]`);
  let p = path;
  while (p) {
    const alias = p.endsWith('.id') ? p.replace(/\.id$/, '') : null;
    const el = find(p) || (alias && (find(`${alias}.label`) || find(`${alias}.name`) || find(`${alias}.title`)))
      || find(`${p}.min`);
    if (el) return el;
    p = p.replace(/(\[\d+\]|\.[^.[\]]+)$/, '') === p ? '' : p.replace(/(\[\d+\]|\.[^.[\]]+)$/, '');
  }
  return find('summary-box');
}

const ordinal = (m) => Number(m) + 1;

/** A path in words: "Stage 4 “Weighing” · option 2 · label". */
export function describePath(d, path) {
  if (!path) return t('editor.path.whole');
  const parts = [];
  let m = path.match(/^stages\[(\d+)\]/);
  if (m) {
    const st = d.stages[Number(m[1])];
    parts.push(st && st.title.trim() ? t('editor.path.stage_titled', { n: ordinal(m[1]), title: st.title.trim() })
      : t('editor.path.stage', { n: ordinal(m[1]) }));
  } else if ((m = path.match(/^outcomes\[(\d+)\]/))) parts.push(t('editor.path.outcome', { n: ordinal(m[1]) }));
  else if ((m = path.match(/^models\[(\d+)\]/))) parts.push(t('editor.path.model', { n: ordinal(m[1]) }));
  else if ((m = path.match(/^case\[(\d+)\]/))) parts.push(t('editor.path.case_paragraph', { n: ordinal(m[1]) }));
  else if ((m = path.match(/^[a-z]+/)))
    parts.push(['id', 'lang', 'title', 'summary', 'case', 'outcomes', 'models', 'stages', 'format'].includes(m[0])
      ? t(`editor.path.${m[0]}`) : m[0]);
  const opt = path.match(/options\[(\d+)\]/);
  if (opt) parts.push(t('editor.path.option', { n: ordinal(opt[1]) }));
  const bodyPara = path.match(/body\[(\d+)\]/);
  if (bodyPara) parts.push(t('editor.path.body_paragraph', { n: ordinal(bodyPara[1]) }));
  return parts.join(' · ');
}

// ---- The form ----

let uid = 0;

/**
 * The editor in `root`. mode: 'new' | 'edit' | 'quick' (title, text and outcomes up front, the rest folded
 * away, and a start button). actions: save(scenario) and, in quick mode, start(scenario, options), each a
 * promise that resolves to null when done or to {message, details} to show; cancel().
 * Returns {draft, showErrors(details, message)}.
 */
export function openEditor(root, { scenario, mode, notice, takenIds = new Set(), actions }) {
  const d = draftOf(scenario);
  const ed = { d, mode, busy: false, idTouched: mode === 'edit' || !!d.id, confidential: mode === 'quick',
    minGroup: '3', live: false, foldOpen: false };
  const takenStageIds = () => new Set(d.stages.map((s) => s.id));

  const autoId = () => {
    if (!ed.idTouched) d.id = uniqueId(slug(d.title), takenIds);
  };

  const form = h('form', { class: 'editor', novalidate: true, 'aria-labelledby': 'editor-title' });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit(mode === 'quick' ? 'start' : 'save');
  });
  // Enter in a field does not submit: in a quick case it would start the session half written.
  form.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && e.target.tagName === 'INPUT') e.preventDefault();
  });

  async function submit(what) {
    if (ed.busy) return;
    ed.busy = true;
    const s = toScenario(d);
    if (mode === 'quick' && !s.summary.trim()) s.summary = summaryOf(s);
    setStatus(what === 'start' ? t('editor.starting') : t('editor.saving'));
    let problem = null;
    try {
      problem = what === 'start'
        ? await actions.start(s, { confidential: ed.confidential, min_group: Number(ed.minGroup) || 3, live: ed.live })
        : await actions.save(s);
    } finally {
      ed.busy = false;
    }
    if (problem) showErrors(problem.details || [], problem.message, problem.more);
    else setStatus('');
  }

  function setStatus(text) {
    const el = form.querySelector('#editor-status');
    if (el) el.textContent = text;
  }

  // Redraws the whole form, keeping the focus on the element with the same id (or `focusId`). The last
  // save's problems go: after a row moved or went, their paths no longer name the same fields.
  function render(focusId) {
    const focused = focusId || (document.activeElement && document.activeElement.id);
    form.replaceChildren(...drawForm().filter(Boolean));
    const el = focused && document.getElementById(focused);
    if (el) el.focus();
  }

  function drawForm() {
    const heading = { new: t('editor.new'), edit: t('editor.edit', { title: d.title || d.id }), quick: t('home.quick_case') }[mode];
    const parts = [
      h('h1', { id: 'editor-title' }, heading),
      mode === 'quick'
        ? h('p', { class: 'muted' }, t('editor.quick_intro'), ' ', t('editor.quick_confidential'))
        : h('p', { class: 'muted' }, t('editor.intro')),
      notice ? h('p', { class: 'notice', role: 'status' }, notice) : null,
      h('div', { id: 'editor-summary', class: 'editor-summary', tabindex: '-1' }),
      caseFields(),
      outcomeFields(),
    ];
    const rest = [modelFields(), stageFields()];
    if (mode === 'quick') {
      const fold = h('details', { class: 'card fold', id: 'editor-fold', open: ed.foldOpen },
        h('summary', {}, t('editor.fold')), ...rest);
      fold.addEventListener('toggle', () => { ed.foldOpen = fold.open; });
      parts.push(fold);
    } else parts.push(...rest);
    parts.push(actionRow());
    return parts;
  }

  // One labelled control with its error line. `path` is the validator's path for it.
  function field(path, label, control, hint) {
    control.id ||= `ed-${++uid}`;
    control.dataset.path = path;
    const err = h('p', { class: 'field-error', id: `${control.id}-err` });
    const hintEl = hint ? h('p', { class: 'hint', id: `${control.id}-hint` }, hint) : null;
    control.setAttribute('aria-describedby', [hintEl && hintEl.id, err.id].filter(Boolean).join(' '));
    return h('div', { class: 'field' }, h('label', { for: control.id }, label), hintEl, control, err);
  }

  const text = (id, value, set, attrs = {}) => h('input', { id, value, ...attrs, oninput: (e) => set(e.target.value) });
  const area = (id, value, set, rowsN = 4) => h('textarea', { id, rows: String(rowsN), oninput: (e) => set(e.target.value) }, value);
  const numberIn = (id, value, set, attrs = {}) => h('input', { id, type: 'number', class: 'narrow', value, ...attrs,
    oninput: (e) => set(e.target.value) });

  function caseFields() {
    const title = text('ed-title', d.title, (v) => {
      d.title = v;
      autoId();
      const idEl = document.getElementById('ed-id');
      if (idEl && !ed.idTouched) idEl.value = d.id;
    }, { maxlength: '200', autocomplete: 'off' });
    const idField = mode === 'edit'
      ? h('p', { class: 'muted', 'data-path': 'id', id: 'ed-id', tabindex: '-1' }, t('editor.id_kept', { id: d.id }))
      : field('id', t('editor.id'),
        text('ed-id', d.id, (v) => { d.id = v; ed.idTouched = true; }, { maxlength: '40', autocomplete: 'off', spellcheck: 'false' }));
    return h('fieldset', { class: 'card' }, h('legend', {}, t('case.summary')),
      field('title', t('editor.title'), title),
      mode === 'quick' ? null : idField,
      field('summary', mode === 'quick' ? t('editor.summary_quick') : t('editor.summary'),
        text('ed-summary', d.summary, (v) => { d.summary = v; }, { maxlength: '1000' })),
      langField(),
      field('case', t('editor.case_text'), area('ed-case', d.caseText, (v) => { d.caseText = v; }, 8),
        t('editor.case_hint')));
  }

  // The case's language ("lang"): the participants' pages follow it. A tag this console has no table for
  // (from an imported file) stays as it is.
  function langField() {
    const tags = Object.keys(TABLES);
    const sel = h('select', { id: 'ed-lang', onchange: (e) => { d.lang = e.target.value; } },
      h('option', { value: '' }, t('editor.lang_none')),
      tags.map((tag) => h('option', { value: tag, lang: tag }, `${TABLES[tag]['lang.name']} (${tag})`)),
      d.lang && !tags.includes(d.lang) ? h('option', { value: d.lang }, d.lang) : null);
    sel.value = d.lang;
    return field('lang', t('editor.lang'), sel, t('editor.lang_hint'));
  }

  function outcomeFields() {
    return h('fieldset', { class: 'card', 'data-path': 'outcomes', id: 'ed-outcomes', tabindex: '-1' },
      h('legend', {}, t('editor.outcomes')),
      h('p', { class: 'hint' }, t('editor.outcomes_hint')),
      h('p', { class: 'field-error', id: 'ed-outcomes-err' }),
      listRows(d.outcomes, 'outcomes', 'editor.outcome', () => ({ key: key(), id: '', label: '' }), mode === 'quick' ? 5 : 20));
  }

  // An editable list of {label} rows (outcomes, or a question's options) with move, remove and add. `noun`: the
  // table key of a row's name ("Outcome {n}"), with `_row` (in a sentence) and `_add` (the add button) beside it.
  function listRows(list, path, noun, make, max) {
    const items = list.map((o, i) => {
      const label = text(`ed-${o.key}`, o.label, (v) => { o.label = v; }, { maxlength: '200', autocomplete: 'off' });
      return h('li', { class: 'list-row' },
        field(`${path}[${i}].label`, t(noun, { n: i + 1 }), label),
        rowButtons(list, i, t(`${noun}_row`, { n: i + 1 })));
    });
    const add = h('button', { type: 'button', class: 'small', id: `ed-add-${path}`, disabled: list.length >= max, onclick: () => {
      const row = make();
      list.push(row);
      render(`ed-${row.key}`);
    } }, t(`${noun}_add`));
    return [h('ol', { class: 'rows' }, items), add];
  }

  // Move up, move down and remove for row i of list; the focus follows the moved row.
  function rowButtons(list, i, what) {
    const k = list[i].key;
    // The focus stays on the pressed button, or on the other one once the row reached an end.
    const move = (to, dir) => {
      const [row] = list.splice(i, 1);
      list.splice(to, 0, row);
      const atEnd = to === 0 || to === list.length - 1;
      render(atEnd ? `ed-${dir === 'up' ? 'down' : 'up'}-${k}` : `ed-${dir}-${k}`);
    };
    return h('div', { class: 'row row-buttons' },
      h('button', { type: 'button', class: 'small', id: `ed-up-${k}`, 'aria-label': t('editor.move_up', { what }), disabled: i === 0,
        onclick: () => move(i - 1, 'up') }, '↑'),
      h('button', { type: 'button', class: 'small', id: `ed-down-${k}`, 'aria-label': t('editor.move_down', { what }),
        disabled: i === list.length - 1, onclick: () => move(i + 1, 'down') }, '↓'),
      h('button', { type: 'button', class: 'small', id: `ed-remove-${k}`, 'aria-label': t('editor.remove_named', { what }), onclick: () => {
        list.splice(i, 1);
        const next = list[Math.min(i, list.length - 1)];
        render(next ? `ed-remove-${next.key}` : null);
      } }, t('editor.remove')));
  }

  function modelFields() {
    const items = d.models.map((m, i) => h('li', { class: 'list-row model-row' },
      field(`models[${i}].name`, t('editor.model_name', { n: i + 1 }), text(`ed-${m.key}`, m.name, (v) => { m.name = v; }, { maxlength: '200' })),
      field(`models[${i}].prompt`, t('editor.model_prompt', { n: i + 1 }), area(`ed-${m.key}-prompt`, m.prompt, (v) => { m.prompt = v; }, 2)),
      rowButtons(d.models, i, t('editor.model_row', { n: i + 1 }))));
    return h('fieldset', { class: 'card', 'data-path': 'models', id: 'ed-models', tabindex: '-1' },
      h('legend', {}, t('editor.models')),
      h('p', { class: 'hint' }, t('editor.models_hint')),
      h('p', { class: 'field-error', id: 'ed-models-err' }),
      h('ol', { class: 'rows' }, items),
      h('button', { type: 'button', class: 'small', id: 'ed-add-models', disabled: d.models.length >= 8, onclick: () => {
        const m = { key: key(), id: '', name: '', prompt: '' };
        d.models.push(m);
        render(`ed-${m.key}`);
      } }, t('editor.model_add')));
  }

  function stageFields() {
    const kindSel = h('select', { id: 'ed-add-kind' },
      Object.entries(KINDS).filter(([k]) => k !== 'question').map(([k, v]) => h('option', { value: k }, t(v))),
      Object.entries(QUESTION_TYPES).map(([type, v]) => h('option', { value: `question:${type}` }, t('editor.question_of_type', { type: t(v) }))));
    kindSel.value = ed.addKind || 'question:choice';
    kindSel.addEventListener('change', () => { ed.addKind = kindSel.value; });
    return h('section', { class: 'card', 'aria-labelledby': 'ed-stages-h', 'data-path': 'stages', id: 'ed-stages', tabindex: '-1' },
      h('h2', { id: 'ed-stages-h' }, t('run.stages')),
      h('p', { class: 'field-error', id: 'ed-stages-err' }),
      h('ol', { class: 'stage-list' }, d.stages.map(stageCard)),
      h('div', { class: 'row' }, h('label', { for: 'ed-add-kind' }, t('editor.new_stage')), kindSel,
        h('button', { type: 'button', id: 'ed-add-stage', disabled: d.stages.length >= 100, onclick: () => addStage(kindSel.value) }, t('editor.add_stage'))));
  }

  function addStage(choice) {
    const [kind, type] = choice.split(':');
    const st = stageDraft({ kind, title: '' });
    st.id = uniqueId(type ? type.replace('_', '-') : kind, takenStageIds());
    if (kind === 'question') {
      st.question = questionDraft({ type });
      st.question.fromOutcomes = type === 'choice' && d.outcomes.length > 0;
      if (!st.question.fromOutcomes && (type === 'choice' || type === 'points' || type === 'rank'))
        st.question.options = type === 'points' ? principles().map((o) => ({ key: key(), ...o }))
          : [{ key: key(), id: '', label: '' }, { key: key(), id: '', label: '' }];
    }
    d.stages.push(st);
    render(`ed-${st.key}-title`);
  }

  function stageCard(st, i) {
    const p = `stages[${i}]`;
    const kindLabel = st.kind === 'question' ? `${t('editor.kind.question')} · ${t(QUESTION_TYPES[st.question.type])}` : t(KINDS[st.kind]);
    return h('li', { class: 'stage-card', id: `ed-${st.key}`, tabindex: '-1', 'data-path': p },
      h('div', { class: 'stage-head' },
        h('h3', {}, `${i + 1}. `, h('span', { class: 'badge' }, kindLabel)),
        rowButtons(d.stages, i, t('editor.stage_row', { n: i + 1 }))),
      h('p', { class: 'field-error', id: `ed-${st.key}-err` }),
      field(`${p}.title`, t('editor.stage_title'), text(`ed-${st.key}-title`, st.title, (v) => { st.title = v; }, { maxlength: '200' })),
      st.kind === 'question' ? questionFields(st, p) : null,
      st.kind === 'discussion' ? showFields(st, i, p) : null,
      st.kind === 'revote' ? ofField(st, i, p) : null,
      field(`${p}.body`, st.kind === 'discussion' ? t('editor.discussion_prompts') : t('editor.extra_text'),
        area(`ed-${st.key}-body`, st.bodyText, (v) => { st.bodyText = v; }, st.kind === 'discussion' ? 4 : 2),
        st.kind === 'case' ? t('editor.case_stage_hint') : null));
  }

  function questionFields(st, p) {
    const q = st.question;
    const qp = `${p}.question`;
    const typeSel = h('select', { id: `ed-${st.key}-type` },
      Object.entries(QUESTION_TYPES).map(([type, v]) => h('option', { value: type, selected: type === q.type }, t(v))));
    typeSel.addEventListener('change', () => {
      const fresh = questionDraft({ type: typeSel.value, prompt: q.prompt });
      fresh.options = q.options;
      fresh.fromOutcomes = q.fromOutcomes && (typeSel.value === 'choice' || typeSel.value === 'rank');
      st.question = fresh;
      render(typeSel.id);
    });
    const out = [
      field(`${qp}.type`, t('editor.question_type'), typeSel),
      field(`${qp}.prompt`, t('editor.kind.question'), area(`ed-${st.key}-prompt`, q.prompt, (v) => { q.prompt = v; }, 2)),
    ];
    const k = st.key;
    if (q.type === 'choice' || q.type === 'rank') out.push(optionSource(st, qp));
    if (((q.type === 'choice' || q.type === 'rank') && !q.fromOutcomes) || q.type === 'points') out.push(optionList(st, qp));
    if (q.type === 'choice')
      out.push(field(`${qp}.max_choices`, t('editor.max_choices'), numberIn(`ed-${k}-maxc`, q.max_choices || '1', (v) => { q.max_choices = v; }, { min: '1', max: '20' })));
    if (q.type === 'scale')
      out.push(h('div', { class: 'field-grid' },
        field(`${qp}.min`, t('editor.scale_from'), numberIn(`ed-${k}-min`, q.min, (v) => { q.min = v; })),
        field(`${qp}.max`, t('editor.scale_to'), numberIn(`ed-${k}-max`, q.max, (v) => { q.max = v; })),
        field(`${qp}.labels.min`, t('editor.scale_low'), text(`ed-${k}-lmin`, q.labelMin, (v) => { q.labelMin = v; })),
        field(`${qp}.labels.max`, t('editor.scale_high'), text(`ed-${k}-lmax`, q.labelMax, (v) => { q.labelMax = v; }))));
    if (q.type === 'points')
      out.splice(2, 0, field(`${qp}.budget`, t('editor.budget'), numberIn(`ed-${k}-budget`, q.budget, (v) => { q.budget = v; }, { min: '1' })));
    if (q.type === 'model_outcome') {
      const assign = h('input', { type: 'checkbox', id: `ed-${k}-assign`, checked: q.assign, onchange: (e) => { q.assign = e.target.checked; } });
      assign.dataset.path = `${qp}.assign`;
      out.push(h('p', { class: 'hint' }, t('editor.grid_hint')),
        h('div', { class: 'row' }, assign, h('label', { for: assign.id }, t('editor.assign'))));
    }
    if (q.type === 'text')
      out.push(field(`${qp}.max_length`, t('editor.max_length'), numberIn(`ed-${k}-maxlen`, q.max_length, (v) => { q.max_length = v; }, { min: '1', max: '2000' })));
    return out;
  }

  function optionSource(st, qp) {
    const q = st.question;
    const name = `ed-${st.key}-source`;
    const radio = (value, label) => {
      const id = `${name}-${value ? 'outcomes' : 'own'}`;
      return h('div', { class: 'option' },
        h('input', { type: 'radio', name, id, checked: q.fromOutcomes === value, onchange: () => {
          q.fromOutcomes = value;
          if (!value && !q.options.length) q.options = [{ key: key(), id: '', label: '' }, { key: key(), id: '', label: '' }];
          render(id);
        } }),
        h('label', { for: id }, label));
    };
    return h('fieldset', { class: 'plain source' }, h('legend', {}, t('editor.options')),
      radio(true, t('editor.options_outcomes')), radio(false, t('editor.options_own')));
  }

  function optionList(st, qp) {
    const q = st.question;
    const presets = q.type === 'choice' ? h('button', { type: 'button', class: 'small', id: `ed-${st.key}-feelings`, onclick: () => {
      q.options = feelings().map((o) => ({ key: key(), ...o }));
      render(`ed-${st.key}-feelings`);
    } }, t('editor.use_feelings')) : null;
    return h('fieldset', { class: 'plain options-box', 'data-path': `${qp}.options`, id: `ed-${st.key}-options`, tabindex: '-1' },
      h('legend', {}, q.type === 'points' ? t('editor.points_to') : t('editor.options')),
      h('p', { class: 'field-error', id: `ed-${st.key}-options-err` }),
      listRows(q.options, `${qp}.options`, 'editor.option', () => ({ key: key(), id: '', label: '' }), q.type === 'rank' ? 10 : 20),
      presets);
  }

  const earlierQuestions = (i) => d.stages.slice(0, i).filter((s) => s.kind === 'question');

  function showFields(st, i, p) {
    const earlier = earlierQuestions(i);
    st.show = st.show.filter((id) => earlier.some((s) => s.id === id));
    return h('fieldset', { class: 'plain', 'data-path': `${p}.show`, id: `ed-${st.key}-show`, tabindex: '-1' },
      h('legend', {}, t('editor.show')),
      h('p', { class: 'field-error', id: `ed-${st.key}-show-err` }),
      earlier.length ? earlier.map((s) => {
        const id = `ed-${st.key}-show-${s.key}`;
        return h('div', { class: 'option' },
          h('input', { type: 'checkbox', id, checked: st.show.includes(s.id), onchange: (e) => {
            st.show = earlierQuestions(d.stages.indexOf(st)).map((x) => x.id)
              .filter((x) => (x === s.id ? e.target.checked : st.show.includes(x)));
          } }),
          h('label', { for: id }, s.title || s.question.prompt || t('editor.untitled')));
      }) : h('p', { class: 'muted' }, t('editor.no_question_before')));
  }

  function ofField(st, i, p) {
    const earlier = earlierQuestions(i);
    const sel = h('select', { id: `ed-${st.key}-of`, onchange: (e) => { st.of = e.target.value; } },
      h('option', { value: '' }, t('editor.choose_question')),
      earlier.map((s) => h('option', { value: s.id, selected: s.id === st.of }, s.title || s.question.prompt || t('editor.untitled'))));
    if (!earlier.some((s) => s.id === st.of)) sel.value = '';
    return field(`${p}.of`, t('editor.revote_of'), sel);
  }

  function actionRow() {
    const status = h('p', { id: 'editor-status', class: 'muted', role: 'status' });
    const cancel = h('button', { type: 'button', class: 'secondary', id: 'editor-cancel', onclick: () => actions.cancel() }, t('common.cancel'));
    if (mode !== 'quick')
      return h('div', { class: 'card editor-actions' }, h('div', { class: 'row' },
        h('button', { type: 'submit', id: 'editor-save' }, t('editor.save')), cancel), status);
    const conf = h('input', { type: 'checkbox', id: 'quick-confidential', checked: ed.confidential,
      onchange: (e) => { ed.confidential = e.target.checked; } });
    const live = h('input', { type: 'checkbox', id: 'quick-live', checked: ed.live, onchange: (e) => { ed.live = e.target.checked; } });
    return h('div', { class: 'card editor-actions' },
      h('div', { class: 'row' }, conf, h('label', { for: conf.id }, t('editor.confidential'))),
      h('div', { class: 'row' },
        h('span', { class: 'check' }, h('label', { for: 'quick-min-group' }, t('option.threshold')),
          numberIn('quick-min-group', ed.minGroup, (v) => { ed.minGroup = v; }, { min: '1', max: '50' })),
        h('span', { class: 'check' }, live, h('label', { for: live.id }, t('option.live')))),
      h('div', { class: 'row' }, h('button', { type: 'submit', id: 'quick-start' }, t('editor.start_now')), cancel), status);
  }

  // ---- Errors ----

  function showErrors(details, message, more = 0) {
    if (details.some((e) => /^(stages|models)/.test(e.path)) && mode === 'quick') ed.foldOpen = true;
    render();
    placeErrors(details, message, more);
    form.querySelector('#editor-summary').focus();
  }

  // Each problem next to its field, and all of them in the summary on top (each a link to its field).
  function placeErrors(details, message, more) {
    const summary = form.querySelector('#editor-summary');
    const items = details.map((e) => {
      const target = fieldFor(form, e.path);
      const errLine = target && form.querySelector(`#${CSS.escape(target.id)}-err`);
      if (errLine) errLine.append(errLine.textContent ? ' · ' : '', ruleText(e));
      if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) target.setAttribute('aria-invalid', 'true');
      const where = describePath(d, e.path);
      return h('li', {}, target
        ? h('button', { type: 'button', class: 'link', onclick: () => target.focus() }, `${where}: ${e.rule}`)
        : `${where}: ${e.rule}`);
    });
    const n = details.length + (more || 0);
    const heading = mode === 'quick' ? (n ? t('editor.problems_start', { n }) : t('editor.not_started'))
      : n ? t('editor.problems_save', { n }) : t('editor.not_saved');
    summary.replaceChildren(...(details.length || message ? [
      h('h2', {}, heading),
      message && !details.length ? h('p', {}, message) : null,
      items.length ? h('ul', {}, items) : null,
      more ? h('p', {}, t('editor.more', { n: more })) : null].filter(Boolean) : []));
    summary.setAttribute('role', 'alert');
    summary.hidden = !(details.length || message);
  }

  // A rule next to its field: a paragraph's rule says which paragraph.
  function ruleText(e) {
    const para = e.path.match(/(?:^case|body)\[(\d+)\]$/);
    return para ? t('editor.paragraph_rule', { n: ordinal(para[1]), rule: e.rule }) : e.rule;
  }

  render();
  root.replaceChildren(form);
  form.querySelector('#ed-title')?.focus();
  return { draft: d, showErrors };
}

/** A one-line summary from the case text: its first sentence, at most 200 characters. */
export function summaryOf(s) {
  const first = (s.case[0] || s.title || '').trim();
  const sentence = (first.match(/^.*?[.!?](\s|$)/) || [first])[0].trim();
  return sentence.length > 200 ? `${sentence.slice(0, 199)}…` : sentence || t('editor.default_summary');
}
