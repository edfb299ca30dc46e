// The answer widgets, one per question type. Each returns {el, value(), set(ballot), disable(bool)}:
// value() is the ballot to send, or null while the answer is incomplete (the send button stays off).
import { h } from './client.js';
import { t } from './i18n.js';

let uid = 0;
const nextId = (p) => `${p}-${++uid}`;

function radios(name, legend, options, onchange) {
  const fs = h('fieldset', { class: 'options' }, h('legend', {}, legend));
  for (const o of options) {
    const id = nextId(name);
    fs.append(h('div', { class: 'option' },
      h('input', { type: 'radio', name, id, value: o.id, onchange }),
      h('label', { for: id }, o.label)));
  }
  return fs;
}

function choice(q, onchange) {
  const name = nextId('c');
  if ((q.max_choices || 1) <= 1) {
    const fs = radios(name, q.prompt, q.options, onchange);
    return {
      el: fs,
      value() {
        const c = fs.querySelector('input:checked');
        return c ? { choice: c.value } : null;
      },
      set(b) {
        for (const i of fs.querySelectorAll('input')) i.checked = b && i.value === b.choice;
      },
    };
  }
  const max = q.max_choices;
  const note = h('p', { class: 'muted', id: nextId('n') }, t('widget.choose_up_to', { n: max }));
  const fs = h('fieldset', { class: 'options', 'aria-describedby': note.id }, h('legend', {}, q.prompt), note);
  const limit = () => {
    const n = fs.querySelectorAll('input:checked').length;
    for (const i of fs.querySelectorAll('input')) i.disabled = fs.disabled || (!i.checked && n >= max);
  };
  for (const o of q.options) {
    const id = nextId(name);
    fs.append(h('div', { class: 'option' },
      h('input', { type: 'checkbox', name, id, value: o.id, onchange: () => { limit(); onchange(); } }),
      h('label', { for: id }, o.label)));
  }
  return {
    el: fs,
    value() {
      const v = [...fs.querySelectorAll('input:checked')].map((i) => i.value);
      return v.length ? { choices: v } : null;
    },
    set(b) {
      const chosen = b ? b.choices || (b.choice ? [b.choice] : []) : [];
      for (const i of fs.querySelectorAll('input')) i.checked = chosen.includes(i.value);
      limit();
    },
    refresh: limit,
  };
}

function scale(q, onchange) {
  const opts = [];
  for (let v = q.min; v <= q.max; v++) opts.push({ id: String(v), label: String(v) });
  const fs = radios(nextId('s'), q.prompt, opts, onchange);
  fs.classList.add('scale');
  if (q.labels)
    fs.append(h('p', { class: 'scale-ends' }, h('span', {}, `${q.min}: ${q.labels.min}`), h('span', {}, `${q.max}: ${q.labels.max}`)));
  return {
    el: fs,
    value() {
      const c = fs.querySelector('input:checked');
      return c ? { value: Number(c.value) } : null;
    },
    set(b) {
      for (const i of fs.querySelectorAll('input')) i.checked = !!b && Number(i.value) === b.value;
    },
  };
}

function points(q, onchange) {
  const left = h('p', { class: 'budget', 'aria-live': 'polite' });
  const fs = h('fieldset', { class: 'points' }, h('legend', {}, q.prompt));
  const inputs = [];
  const update = () => {
    const sum = inputs.reduce((s, i) => s + (Number.parseInt(i.value, 10) || 0), 0);
    const rest = q.budget - sum;
    left.textContent = rest === 0 ? t('widget.points_shared', { n: q.budget })
      : rest > 0 ? t('widget.points_left', { n: rest, budget: q.budget }) : t('widget.points_over', { n: -rest });
    left.dataset.ok = rest === 0 ? 'yes' : 'no';
  };
  for (const o of q.options) {
    const id = nextId('p');
    const input = h('input', { type: 'number', id, min: '0', max: String(q.budget), step: '1', value: '0', inputmode: 'numeric',
      'data-option': o.id, oninput: () => { update(); onchange(); } });
    inputs.push(input);
    const bump = (d) => {
      input.value = String(Math.max(0, Math.min(q.budget, (Number.parseInt(input.value, 10) || 0) + d)));
      update();
      onchange();
    };
    fs.append(h('div', { class: 'point-row' },
      h('label', { for: id }, o.label),
      h('button', { type: 'button', class: 'small', 'aria-label': t('widget.point_less', { label: o.label }), onclick: () => bump(-1) }, '−'),
      input,
      h('button', { type: 'button', class: 'small', 'aria-label': t('widget.point_more', { label: o.label }), onclick: () => bump(1) }, '+')));
  }
  fs.append(left);
  update();
  return {
    el: fs,
    value() {
      const out = {};
      let sum = 0;
      for (const i of inputs) {
        const n = Number(i.value);
        if (!Number.isInteger(n) || n < 0) return null;
        out[i.dataset.option] = n;
        sum += n;
      }
      return sum === q.budget ? { points: out } : null;
    },
    set(b) {
      for (const i of inputs) i.value = String((b && b.points && b.points[i.dataset.option]) || 0);
      update();
    },
  };
}

function rank(q, onchange) {
  const list = h('ol', { class: 'rank' });
  const fs = h('fieldset', { class: 'ranking' }, h('legend', {}, q.prompt),
    h('p', { class: 'muted' }, t('widget.rank_hint')), list);
  let order = q.options.map((o) => o.id);
  let touched = false;
  let dragging = null;
  const label = (id) => q.options.find((o) => o.id === id).label;
  const move = (i, d) => {
    const j = i + d;
    if (j < 0 || j >= order.length) return;
    [order[i], order[j]] = [order[j], order[i]];
    touched = true;
    draw(order[j], d < 0 ? 'up' : 'down');
    onchange();
  };
  const draw = (focusId, dir) => {
    list.replaceChildren(...order.map((id, i) => h('li', { class: id === dragging ? 'rank-item dragging' : 'rank-item', 'data-option': id },
      h('span', { class: 'grip', 'aria-hidden': 'true', title: t('widget.drag'), onpointerdown: (e) => startDrag(e, id) }, '⠿'),
      h('span', { class: 'rank-pos' }, `${i + 1}.`),
      h('span', { class: 'rank-label' }, label(id)),
      h('button', { type: 'button', class: 'small', 'data-dir': 'up', disabled: i === 0 || fs.disabled,
        'aria-label': t('widget.move_up', { label: label(id) }), onclick: () => move(i, -1) }, '↑'),
      h('button', { type: 'button', class: 'small', 'data-dir': 'down', disabled: i === order.length - 1 || fs.disabled,
        'aria-label': t('widget.move_down', { label: label(id) }), onclick: () => move(i, 1) }, '↓'))));
    if (focusId) {
      const b = list.querySelector(`[data-option="${CSS.escape(focusId)}"] [data-dir="${dir}"]`);
      (b && !b.disabled ? b : list.querySelector(`[data-option="${CSS.escape(focusId)}"] button:not([disabled])`))?.focus();
    }
  };
  // Dragging by the grip, with pointer events (mouse, pen and touch alike; HTML5 drag and drop does not work
  // with fingers). The pointer is captured by the list, which stays while its items are redrawn.
  const startDrag = (e, id) => {
    if (list.closest('fieldset:disabled')) return;
    e.preventDefault();
    dragging = id;
    list.setPointerCapture(e.pointerId);
    draw();
  };
  list.addEventListener('pointermove', (e) => {
    if (!dragging) return;
    const over = document.elementFromPoint(e.clientX, e.clientY)?.closest('.rank-item');
    if (!over || !list.contains(over) || over.dataset.option === dragging) return;
    const to = order.indexOf(over.dataset.option);
    order.splice(order.indexOf(dragging), 1);
    order.splice(to, 0, dragging);
    draw();
  });
  const endDrag = () => {
    if (!dragging) return;
    dragging = null;
    touched = true;
    draw();
    onchange();
  };
  list.addEventListener('pointerup', endDrag);
  list.addEventListener('pointercancel', endDrag);
  draw();
  // A ranking is complete as shown; the first send confirms the order even if nothing was moved.
  return {
    el: fs,
    value: () => ({ order: [...order] }),
    set(b) {
      if (b && Array.isArray(b.order) && b.order.length === order.length) order = [...b.order];
      touched = !!b;
      draw();
    },
    refresh: () => draw(),
    get touched() { return touched; },
  };
}

function modelOutcome(q, assigned, onchange) {
  const models = assigned ? q.models.filter((m) => m.id === assigned) : q.models;
  const box = h('div', { class: 'model-grid' },
    h('p', { class: 'prompt' }, q.prompt),
    assigned ? h('p', { class: 'assigned' }, t('widget.your_lens'), ' ', h('strong', {}, models[0] ? models[0].name : assigned)) : null);
  const sets = models.map((m) => {
    const fs = radios(nextId('m'), m.name, q.outcomes, onchange);
    fs.dataset.model = m.id;
    fs.querySelector('legend').append(h('span', { class: 'model-prompt' }, m.prompt));
    box.append(fs);
    return fs;
  });
  return {
    el: box,
    value() {
      const out = {};
      for (const fs of sets) {
        const c = fs.querySelector('input:checked');
        if (!c) return null;
        out[fs.dataset.model] = c.value;
      }
      return { outcomes: out };
    },
    set(b) {
      for (const fs of sets)
        for (const i of fs.querySelectorAll('input'))
          i.checked = !!(b && b.outcomes && b.outcomes[fs.dataset.model] === i.value);
    },
  };
}

function text(q, onchange) {
  const id = nextId('t');
  const counter = h('p', { class: 'counter', id: `${id}-count`, 'aria-live': 'polite' });
  const max = q.max_length || 280;
  const area = h('textarea', { id, rows: '4', maxlength: String(max), 'aria-describedby': counter.id,
    oninput: () => { update(); onchange(); } });
  // Code points, as the server counts them.
  const count = () => [...area.value.trim()].length;
  const update = () => {
    const n = count();
    counter.textContent = `${n} / ${max}`;
    counter.dataset.ok = n >= 1 && n <= max ? 'yes' : 'no';
  };
  update();
  return {
    el: h('div', { class: 'text-answer' }, h('label', { for: id }, q.prompt), area, counter),
    value() {
      const n = count();
      return n >= 1 && n <= max ? { text: area.value.trim() } : null;
    },
    set() {},
    clear() {
      area.value = '';
      update();
    },
  };
}

/** The widget for question view `q`; `assigned` is the participant's assigned model id, if any. */
export function widgetFor(q, assigned, onchange) {
  switch (q.type) {
    case 'choice': return choice(q, onchange);
    case 'scale': return scale(q, onchange);
    case 'points': return points(q, onchange);
    case 'rank': return rank(q, onchange);
    case 'model_outcome': return modelOutcome(q, q.assign ? assigned : null, onchange);
    case 'text': return text(q, onchange);
    default: return { el: h('p', {}, t('widget.unsupported')), value: () => null, set() {} };
  }
}
