// The projector view: read-only, large type. Join code and QR, the case, the question, live ballot
// count and time left, revealed results and the wall of shown perspectives.
import { Connection, showState, h, paragraphs, countdown } from './client.js';
import { renderResults, renderPerspectives } from './results.js';

const $ = (id) => document.getElementById(id);
const code = (location.pathname.match(/^\/present\/(\d{6})$/) || [])[1];

const st = { view: null, stage: null, results: {}, perspectives: {}, progress: {}, participants: 0, stopTimer: null };

const conn = new Connection({ onopen: watch, onpush, onstate: (s, d) => showState($('conn'), s, d) });

async function watch() {
  try {
    const r = await conn.request({ type: 'watch', code });
    st.view = r.session;
    st.results = {};
    st.perspectives = {};
    setStage(r.session.stage);
  } catch (e) {
    if (e.code === 'unknown_code')
      $('main').replaceChildren(h('h1', {}, `No session has the code ${code}.`));
  }
}

function setStage(stage) {
  st.stage = stage;
  if (typeof stage.closes_in === 'number') stage.deadline = Date.now() + stage.closes_in * 1000;
  // A discussion's own timer (issue 11): counted down for the room, nothing closes.
  if (typeof stage.ends_in === 'number') stage.deadline = Date.now() + stage.ends_in * 1000;
  if (stage.kind === 'discussion') {
    for (const [q, r] of Object.entries(stage.results || {})) st.results[q] = r;
    for (const [q, items] of Object.entries(stage.perspectives || {})) st.perspectives[q] = items;
  }
  render();
}

function onpush(m) {
  if (!st.stage) return;
  const q = st.stage.question;
  switch (m.type) {
    case 'stage': return setStage(m.stage);
    case 'round':
      if (q && q.id === m.question) {
        const fresh = m.round !== st.stage.round;  // not the same round's timer set again
        st.stage.round = m.round;
        st.stage.status = m.status;
        st.stage.deadline = typeof m.closes_in === 'number' ? Date.now() + m.closes_in * 1000 : null;
        if (m.status === 'open' && fresh) st.progress[m.question] = 0;
      }
      break;
    case 'progress': st.progress[m.question] = m.ballots; break;
    case 'results': st.results[m.question] = m; break;
    case 'hidden': delete st.results[m.question]; break;
    case 'perspectives': st.perspectives[m.question] = m.items; break;
    case 'presence': st.participants = m.participants; break;
    case 'ended': st.view.ended = true; break;
    default: return;
  }
  render();
}

function joinPanel(big) {
  return h('div', { class: big ? 'join-panel big' : 'join-panel' },
    h('img', { src: `/qr/${code}.svg`, alt: 'QR code of the join link', class: 'qr' }),
    h('div', {},
      h('p', { class: 'join-code-label' }, 'Join at'),
      h('p', { class: 'join-url' }, st.view ? st.view.join_url.replace(/\/j\/\d+$/, '') : location.host),
      h('p', { class: 'join-code-label' }, 'with the code'),
      h('p', { class: 'join-code', id: 'present-code' }, code)));
}

// The results (or the wall of perspectives) of q; `titled`: with its prompt (a discussion shows several).
function block(q, titled) {
  const title = titled ? h('h2', {}, q.prompt) : null;
  if (q.type === 'text') {
    const items = st.perspectives[q.id];
    return items && items.length ? h('section', { class: 'wall-box' }, title, renderPerspectives(items)) : null;
  }
  const r = st.results[q.id];
  return r ? h('section', { class: 'present-results' }, title, renderResults(q, r, st.view.min_group)) : null;
}

function render() {
  if (st.stopTimer) st.stopTimer();
  st.stopTimer = null;
  const s = st.stage;
  const q = s.question;
  const parts = [h('p', { class: 'present-scenario' }, st.view.scenario.title), h('h1', { id: 'present-title' }, s.title)];
  if (s.kind === 'case') {
    parts.push(h('div', { class: 'case-split' }, h('div', { class: 'case-text' }, paragraphs(s.body)), joinPanel(true)));
  } else if (q) {
    parts.push(h('p', { class: 'present-prompt' }, q.prompt));
    const n = st.progress[q.id];
    const timer = h('span', { class: 'timer', id: 'present-timer' });
    parts.push(h('p', { class: 'present-status', id: 'present-status' },
      s.status === 'open' ? `Voting open · ${typeof n === 'number' ? n : 0} ${n === 1 ? 'ballot' : 'ballots'} in` :
        s.round === 0 ? 'Voting opens soon' : `Voting closed${s.round > 1 ? ` · round ${s.round}` : ''}`,
      ' ', timer));
    if (s.status === 'open' && s.deadline) st.stopTimer = countdown(timer, s.deadline);
    const res = block(q, false);
    if (res) parts.push(res);
    else if (q.type !== 'text' && q.options)
      parts.push(h('ul', { class: 'present-options' }, q.options.map((o) => h('li', {}, o.label))));
    else if (q.type === 'model_outcome')
      parts.push(h('ul', { class: 'present-options' }, q.outcomes.map((o) => h('li', {}, o.label))));
  } else {
    if (s.kind === 'discussion' && s.deadline) {
      const timer = h('p', { class: 'present-status timer', id: 'present-timer' });
      parts.push(timer);
      st.stopTimer = countdown(timer, s.deadline, 'Discussion time left ');
    }
    parts.push(...paragraphs(s.body));
    if (s.kind === 'discussion')
      for (const id of s.show || []) {
        const sq = (s.questions || {})[id];
        const b = sq && block(sq, true);
        if (b) parts.push(b);
      }
  }
  if (st.view.ended) parts.push(h('p', { class: 'present-status' }, 'This session has ended. Thank you!'));
  $('main').replaceChildren(...parts);
  $('join-hint').replaceChildren(s.kind === 'case' ? '' : `Join: ${st.view.join_url.replace(/\/j\/\d+$/, '')} · code ${code}`);
  $('counts').textContent = '';
}

if (!code) $('main').replaceChildren(h('h1', {}, 'This projector link has no session code.'));
else {
  $('main').replaceChildren(joinPanel(true));
  conn.start();
}
