// The participant page: join by code (or the QR link), follow the stages, vote, see revealed results.
import { Connection, RequestError, showState, h, paragraphs, countdown } from './client.js';
import { widgetFor } from './widgets.js';
import { t, errorText, startLanguage, onLanguage, languageSwitch } from './i18n.js';
import { renderResults, renderPerspectives } from './results.js';

const $ = (id) => document.getElementById(id);
const TOKENS_KEY = 'roundtable.tokens';
const CODE_KEY = 'roundtable.code';
// Tokens of the last few sessions only: enough to come back to a session after a reload.
const KEPT_TOKENS = 8;

/**
 * This browser's participant token for one session: random, kept in localStorage for that code only,
 * so two sessions cannot be linked through the token, and a session's token is forgotten once eight
 * newer sessions were joined.
 */
function token(code) {
  localStorage.removeItem('roundtable.token'); // the one token for every session of older versions
  let kept = [];
  try { kept = JSON.parse(localStorage.getItem(TOKENS_KEY) || '[]'); } catch { kept = []; }
  if (!Array.isArray(kept)) kept = [];
  const valid = (e) => e && typeof e.code === 'string' && /^[A-Za-z0-9_-]{22,64}$/.test(e.token || '');
  const found = kept.find((e) => valid(e) && e.code === code);
  if (found) return found.token;
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  const t = btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  kept = [{ code, token: t }, ...kept.filter(valid)].slice(0, KEPT_TOKENS);
  localStorage.setItem(TOKENS_KEY, JSON.stringify(kept));
  return t;
}

const state = {
  code: null,
  session: null,
  stage: null,
  mine: {},
  results: {},       // question -> last results push
  perspectives: {},  // question -> items
  progress: {},      // question -> ballots
  endorsed: new Set(),
  widget: null,
  widgetKey: '',
  stopTimer: null,
};

const conn = new Connection({
  onopen: () => { if (state.code) join(state.code); },
  onpush,
  onstate: (s, d) => showState($('conn'), s, d),
  wanted: () => !!state.code,
});

function showJoin(message) {
  state.code = null;
  $('session').hidden = true;
  $('join').hidden = false;
  $('join-error').textContent = message || '';
  $('code').focus();
}

async function join(code) {
  try {
    const r = await conn.request({ type: 'join', code, token: token(code) });
    localStorage.setItem(CODE_KEY, code);
    state.session = r.session;
    startLanguage(r.session.scenario.lang);  // the session's language, unless this browser chose one
    state.mine = r.session.mine || {};
    state.results = {};
    state.perspectives = {};
    setStage(r.session.stage, true);
    $('join').hidden = true;
    $('session').hidden = false;
    showTitle();
    const c = r.session.scenario.case || [];
    $('case-box').hidden = !c.length;
    $('case-text').replaceChildren(...paragraphs(c));
  } catch (e) {
    if (!(e instanceof RequestError) || e.code === 'disconnected' || e.code === 'timeout') return;
    localStorage.removeItem(CODE_KEY);
    showJoin(e.code === 'unknown_code' ? t('join.unknown_code', { code })
      : e.code === 'rate_limited' ? t('join.rate_limited') : errorText(e));
  }
}

// The scenario's title, and that the session has ended.
function showTitle() {
  const s = state.session;
  $('scenario-title').textContent = s.ended ? t('session.title_ended', { title: s.scenario.title }) : s.scenario.title;
}

function questionOf(stage) {
  return stage && stage.question ? stage.question : null;
}

function setStage(stage, fresh) {
  state.stage = stage;
  const q = questionOf(stage);
  if (q && typeof stage.closes_in === 'number') stage.deadline = Date.now() + stage.closes_in * 1000;
  if (stage.kind === 'discussion') {
    for (const [qid, r] of Object.entries(stage.results || {})) state.results[qid] = r;
    for (const [qid, items] of Object.entries(stage.perspectives || {})) state.perspectives[qid] = items;
  }
  render(fresh);
}

function onpush(m) {
  const stage = state.stage;
  const q = questionOf(stage);
  switch (m.type) {
    case 'stage': return setStage(m.stage, false);
    case 'round':
      if (q && q.id === m.question) {
        const fresh = m.round !== stage.round;  // not the same round's timer set again
        if (fresh) delete state.mine[m.question];  // a new round: a fresh, blind ballot
        stage.round = m.round;
        stage.status = m.status;
        stage.deadline = typeof m.closes_in === 'number' ? Date.now() + m.closes_in * 1000 : null;
        if (m.status === 'open' && fresh) state.progress[m.question] = 0;
        render(false);
      }
      return;
    case 'progress':
      state.progress[m.question] = m.ballots;
      return renderStatus();
    case 'results':
      state.results[m.question] = m;
      return renderResultsBox();
    case 'hidden':
      delete state.results[m.question];
      return renderResultsBox();
    case 'perspectives':
      state.perspectives[m.question] = m.items;
      return renderResultsBox();
    case 'ended':
      state.session.ended = true;
      showTitle();
      if (stage) stage.status = 'closed';
      return render(false);
    default:
  }
}

function render(fresh) {
  const st = state.stage;
  const q = questionOf(st);
  $('stage').replaceChildren(
    h('p', { class: 'stage-count' }, t('stage.step', { n: st.index + 1, count: st.count })),
    h('h1', { id: 'stage-title' }, st.title),
    ...paragraphs(st.body));
  // Screen readers hear a new step once (its number and title), not the whole card on every push.
  if (state.announced !== st.index) {
    state.announced = st.index;
    announce(`${$('stage').firstChild.textContent}: ${st.title}`);
  }
  $('case-box').hidden = st.kind === 'case' || !(state.session.scenario.case || []).length;
  renderAnswer(fresh);
  renderResultsBox();
}

function renderAnswer() {
  const st = state.stage;
  const q = questionOf(st);
  const box = $('answer');
  if (state.stopTimer) state.stopTimer();
  state.stopTimer = null;
  if (!q) {
    box.hidden = true;
    state.widget = null;
    state.widgetKey = '';
    return;
  }
  box.hidden = false;
  // A new round, or a lens dealt anew when the round opened (issue 11), draws a fresh widget.
  const key = `${q.id}/${st.round}/${st.assigned_model || q.assigned_model || ''}`;
  const open = st.status === 'open' && !state.session.ended;
  // Keep the widget (and what was typed or picked) while only the status changes.
  if (state.widgetKey !== key || !state.widget) {
    state.widgetKey = key;
    state.widget = widgetFor(q, st.assigned_model || q.assigned_model, () => onEdit());
    const status = h('p', { id: 'round-status', class: 'round-status', role: 'status' });
    const timer = h('p', { id: 'timer', class: 'timer' });
    const fields = h('fieldset', { id: 'answer-fields', class: 'plain' }, state.widget.el);
    const send = h('button', { type: 'submit', id: 'send' }, q.type === 'text' ? t('answer.post') : t('answer.send'));
    // Not sure / pass, where the question offers it, and taking one's answer back (issue 11).
    const pass = q.abstain && q.type !== 'text'
      ? h('button', { type: 'button', id: 'pass', class: 'secondary', onclick: () => submit({ abstain: true }) }, t('answer.pass')) : null;
    const withdraw = q.type !== 'text'
      ? h('button', { type: 'button', id: 'withdraw', class: 'secondary', hidden: true, onclick: withdrawAnswer }, t('answer.withdraw')) : null;
    const ack = h('p', { id: 'ack', class: 'ack', role: 'status', 'aria-live': 'polite' });
    const own = h('div', { id: 'own' });
    const form = h('form', { id: 'answer-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); submit(); } },
      fields, h('div', { class: 'send-row' }, send, pass, withdraw, ack));
    box.replaceChildren(status, timer, form, own);
    const mine = state.mine[q.id];
    if (mine && !mine.abstain && q.type !== 'text') state.widget.set(mine);
  }
  $('answer-fields').disabled = !open;
  if (state.widget.refresh) state.widget.refresh();
  renderStatus();
  if (open && st.deadline) state.stopTimer = countdown($('timer'), st.deadline);
  else $('timer').textContent = '';
  renderOwn();
  onEdit();
}

function renderStatus() {
  const st = state.stage;
  const q = questionOf(st);
  const el = $('round-status');
  if (!q || !el) return;
  const n = state.progress[q.id];
  const open = () => (st.round > 1 ? t('status.open_round', { round: st.round }) : t('status.open'))
    + (typeof n === 'number' ? ` · ${t('status.so_far', { n })}` : '');
  el.textContent = state.session.ended ? t('status.ended')
    : st.status === 'open' ? open()
    : st.round === 0 ? t('status.not_open') : t('status.closed');
  el.dataset.status = st.status;
}

function renderOwn() {
  const q = questionOf(state.stage);
  const own = $('own');
  if (!own || !q || q.type !== 'text') return;
  const posts = (state.mine[q.id] && state.mine[q.id].perspectives) || [];
  own.replaceChildren(...(posts.length ? [h('h2', {}, t('answer.you_posted')), h('ul', { class: 'own-posts' }, posts.map((p) => h('li', {}, p.text)))] : []));
}

function setAck(text, kind) {
  const el = $('ack');
  if (!el) return;
  el.textContent = text;
  el.dataset.kind = kind || '';
}

function onEdit(quiet) {
  const q = questionOf(state.stage);
  const send = $('send');
  if (!q || !send) return;
  const open = state.stage.status === 'open' && !state.session.ended;
  const v = state.widget.value();
  send.disabled = !open || !v;
  const mine = state.mine[q.id];
  if ($('pass')) $('pass').disabled = !open || !!(mine && mine.abstain);
  if ($('withdraw')) $('withdraw').hidden = !open || !mine;
  if (quiet || q.type === 'text') return;
  if (mine && mine.abstain) setAck(open ? t('ack.pass_open') : t('ack.pass'), 'ok');
  else if (mine && open && JSON.stringify(v) !== JSON.stringify(mine)) setAck(t('ack.changed'), 'pending');
  else if (mine) setAck(open ? t('ack.recorded_open') : t('ack.recorded'), 'ok');
  else setAck('', '');
}

async function submit(ballot) {
  const q = questionOf(state.stage);
  const v = ballot || (state.widget && state.widget.value());
  if (!q || !v) return;
  $('send').disabled = true;
  setAck(t('ack.sending'), 'pending');
  try {
    if (q.type === 'text') {
      await conn.request({ type: 'perspective', question: q.id, text: v.text });
      const prev = (state.mine[q.id] && state.mine[q.id].perspectives) || [];
      state.mine[q.id] = { perspectives: [...prev, { text: v.text }] };
      state.widget.clear();
      renderOwn();
      setAck(t('ack.posted'), 'ok');
    } else {
      await conn.request({ type: 'vote', question: q.id, ballot: v });
      state.mine[q.id] = v;
      if (v.abstain) state.widget.set(null);
      setAck(t('ack.recorded_open'), 'ok');
    }
  } catch (e) {
    setAck(e.code === 'voting_closed' ? t('ack.closed_before')
      : e.code === 'disconnected' || e.code === 'timeout' ? t('ack.dropped')
      : t('ack.not_recorded', { reason: errorText(e) }), 'error');
    return onEdit(true);
  }
  onEdit(q.type === 'text');
}

async function withdrawAnswer() {
  const q = questionOf(state.stage);
  if (!q) return;
  $('withdraw').disabled = true;
  setAck(t('ack.withdrawing'), 'pending');
  try {
    await conn.request({ type: 'withdraw', question: q.id });
    delete state.mine[q.id];
    state.widget.set(null);
    onEdit(true);
    setAck(t('ack.withdrawn'), 'ok');
  } catch (e) {
    setAck(e.code === 'voting_closed' ? t('ack.withdraw_closed')
      : t('ack.not_withdrawn', { reason: errorText(e) }), 'error');
  }
  $('withdraw').disabled = false;
}

function renderResultsBox() {
  const st = state.stage;
  const box = $('results');
  const parts = [];
  const questions = st.kind === 'discussion' ? (st.show || []).map((id) => (st.questions || {})[id]).filter(Boolean)
    : questionOf(st) ? [questionOf(st)] : [];
  for (const q of questions) {
    const r = state.results[q.id];
    const items = state.perspectives[q.id];
    if (q.type === 'text') {
      if (items && items.length)
        parts.push(h('section', { class: 'result-block' }, h('h2', {}, st.kind === 'discussion' ? q.prompt : t('results.perspectives')),
          renderPerspectives(items, { endorse, endorsed: state.endorsed })));
      continue;
    }
    if (r) parts.push(h('section', { class: 'result-block' }, h('h2', {}, st.kind === 'discussion' ? q.prompt : t('results.title')),
      renderResults(q, r, state.session.min_group)));
  }
  const appeared = box.hidden && parts.length;
  box.hidden = !parts.length;
  box.replaceChildren(...parts);
  // Results appearing are announced by their heading and round line, not re-read on every push.
  const head = box.querySelector('.results-head');
  if (appeared) announce([box.querySelector('h2'), head].filter(Boolean).map((e) => e.textContent).join(': '));
}

/** Says `text` once through the page's one small live region. */
function announce(text) {
  $('announce').textContent = text;
}

async function endorse(item) {
  let note = '';
  try {
    await conn.request({ type: 'endorse', perspective: item.id });
    state.endorsed.add(item.id);
  } catch (e) {
    note = e.code === 'invalid_ballot' ? t('persp.own') : t('ack.not_recorded', { reason: errorText(e) });
  }
  renderResultsBox();
  if (note) $('results').prepend(h('p', { class: 'error', role: 'alert' }, note));
}

$('join-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const code = $('code').value.replace(/\D/g, '');
  if (code.length !== 6) {
    $('join-error').textContent = t('join.six_digits');
    return;
  }
  $('join-error').textContent = '';
  state.code = code;
  if (conn.isOpen) join(code);
  else conn.start(); // joins once open
});
$('code').addEventListener('input', () => {
  $('code').value = $('code').value.replace(/\D/g, '').slice(0, 6);
});
$('leave').addEventListener('click', () => {
  localStorage.removeItem(CODE_KEY);
  history.replaceState(null, '', '/');
  showJoin('');
  startLanguage();  // out of the session: back to this browser's choice or its own language
});

// The language: this browser's choice or the browser's own until a session says its own (join).
startLanguage();
$('lang-box').replaceChildren(languageSwitch());
onLanguage(() => {
  if (!state.session || $('session').hidden) return;
  showTitle();
  state.widgetKey = '';  // the answer widget is drawn again in the new language (a sent answer is set back)
  render(false);
});

// A /j/CODE link (the QR code) joins at once; otherwise rejoin the session of the last visit.
const fromPath = location.pathname.match(/^\/j\/(\d{6})$/);
state.code = fromPath ? fromPath[1] : localStorage.getItem(CODE_KEY);
// Connect only with a code to join: the server closes a connection that takes no role in time.
if (state.code) {
  $('code').value = state.code;
  conn.start();
} else showJoin('');
