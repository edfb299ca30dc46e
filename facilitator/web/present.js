// The projector view: read-only, large type. Join code and QR, how many have joined, the case, the question,
// live ballot count and time left, revealed results (updated in place, so bars glide) with what the
// agreement means, a re-vote drawn over the round before, and the wall of shown perspectives.
import { Connection, showState, h, paragraphs, countdown } from './client.js';
import { renderResults, renderPerspectives } from './results.js';
import { patchChildren } from './patch.js';
import { agreementNote, roundBefore } from './present-results.js';
import { setupScreen } from './present-screen.js';
import { t, startLanguage, onLanguage, languageSwitch } from './i18n.js';

const $ = (id) => document.getElementById(id);
const code = (location.pathname.match(/^\/present\/(\d{6})$/) || [])[1];

// `history`: every tally seen, by question and round, for the before-to-after view of a re-vote.
const st = { view: null, unknown: false, stage: null, results: {}, history: {}, perspectives: {}, progress: {}, participants: 0, stopTimer: null };

const conn = new Connection({ onopen: watch, onpush, onstate: (s, d) => showState($('conn'), s, d) });

async function watch() {
  try {
    const r = await conn.request({ type: 'watch', code });
    st.view = r.session;
    startLanguage(r.session.scenario.lang);  // the session's language, unless this browser chose one
    st.participants = r.session.participants || 0;
    st.results = {};
    st.perspectives = {};
    setStage(r.session.stage);
  } catch (e) {
    if (e.code === 'unknown_code') { st.unknown = true; placeholder(); }
    else if (!e.code) throw e;  // a fault of this page, not an answer: let it show
  }
}

function keepResults(q, r) {
  st.results[q] = r;
  if (r.tally) (st.history[q] ||= {})[r.round] = r;
}

function setStage(stage) {
  const moved = !st.stage || st.stage.index !== stage.index;
  st.stage = stage;
  if (typeof stage.closes_in === 'number') stage.deadline = Date.now() + stage.closes_in * 1000;
  // A discussion's own timer (issue 11): counted down for the room, nothing closes.
  if (typeof stage.ends_in === 'number') stage.deadline = Date.now() + stage.ends_in * 1000;
  if (stage.kind === 'discussion') {
    for (const [q, r] of Object.entries(stage.results || {})) keepResults(q, r);
    for (const [q, items] of Object.entries(stage.perspectives || {})) st.perspectives[q] = items;
  }
  // Screen readers hear the new step's title once, not the whole page on every push.
  if (moved) $('present-announce').textContent = stage.title;
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
    case 'results': keepResults(m.question, m); break;
    case 'hidden': delete st.results[m.question]; break;
    case 'perspectives': st.perspectives[m.question] = m.items; break;
    case 'presence': st.participants = m.participants; break;
    case 'ended': st.view.ended = true; break;
    default: return;
  }
  render();
}

const joinBase = () => (st.view ? st.view.join_url.replace(/\/j\/\d+$/, '') : location.host);

function joinPanel() {
  return h('div', { class: 'join-panel big' },
    h('img', { src: `/qr/${code}.svg`, alt: t('present.qr_alt'), class: 'qr' }),
    h('div', {},
      h('p', { class: 'join-code-label' }, t('present.join_at')),
      h('p', { class: 'join-url' }, joinBase()),
      h('p', { class: 'join-code-label' }, t('present.with_code')),
      h('p', { class: 'join-code', id: 'present-code' }, code),
      st.view ? h('p', { class: 'joined-big', id: 'present-joined' }, t('present.joined', { n: st.participants })) : null));
}

// The results (or the wall of perspectives) of q; `titled`: with its prompt (a discussion shows several).
function block(q, titled) {
  const title = titled ? h('h2', {}, q.prompt) : null;
  if (q.type === 'text') {
    const items = st.perspectives[q.id];
    return items && items.length ? h('section', { class: 'wall-box', 'data-question': q.id }, title, renderPerspectives(items)) : null;
  }
  const r = st.results[q.id];
  if (!r) return null;
  const opts = { before: roundBefore(q, r, st.history[q.id]), agreement: agreementNote };
  return h('section', { class: 'present-results', 'data-question': q.id }, title, renderResults(q, r, st.view.min_group, opts));
}

function questionParts(s, q) {
  const n = st.progress[q.id];
  const status = s.status === 'open' ? t('present.voting_open', { n: typeof n === 'number' ? n : 0 })
    : s.round === 0 ? t('present.opens_soon') : t(s.round > 1 ? 'present.closed_round' : 'present.closed', { round: s.round });
  const parts = [h('p', { class: 'present-prompt' }, q.prompt),
    h('div', { class: 'present-status-row' },
      h('p', { class: 'present-status', id: 'present-status', role: 'status' }, status),
      h('p', { class: 'present-status timer', id: 'present-timer' }))];
  const res = block(q, false);
  if (res) parts.push(res);
  else if (q.type !== 'text' && q.options)
    parts.push(h('ul', { class: 'present-options' }, q.options.map((o) => h('li', {}, o.label))));
  else if (q.type === 'model_outcome')
    parts.push(h('ul', { class: 'present-options' }, q.outcomes.map((o) => h('li', {}, o.label))));
  return parts;
}

function otherParts(s) {
  const parts = [];
  if (s.kind === 'discussion' && s.deadline) parts.push(h('p', { class: 'present-status timer', id: 'present-timer' }));
  parts.push(...paragraphs(s.body));
  if (s.kind === 'discussion')
    for (const id of s.show || []) {
      const sq = (s.questions || {})[id];
      const b = sq && block(sq, true);
      if (b) parts.push(b);
    }
  return parts;
}

// Before a session view: the join panel, or why there is none (no code in the link, or no such session).
function placeholder() {
  if (!code) $('main').replaceChildren(h('h1', {}, t('present.no_code')));
  else if (st.unknown) $('main').replaceChildren(h('h1', {}, t('present.no_session', { code })));
  else $('main').replaceChildren(joinPanel());
}

// Builds the stage afresh and patches it into the page: what stays keeps its element (bars animate).
function render() {
  if (st.stopTimer) st.stopTimer();
  st.stopTimer = null;
  const s = st.stage;
  const q = s.question;
  const parts = [h('p', { class: 'present-scenario' }, st.view.scenario.title), h('h1', { id: 'present-title' }, s.title)];
  if (s.kind === 'case') parts.push(h('div', { class: 'case-split' }, h('div', { class: 'case-text' }, paragraphs(s.body)), joinPanel()));
  else if (q) parts.push(...questionParts(s, q));
  else parts.push(...otherParts(s));
  if (st.view.ended) parts.push(h('p', { class: 'present-status' }, t('present.ended')));
  patchChildren($('main'), parts);
  const timer = $('present-timer');
  if (timer && s.deadline && (q ? s.status === 'open' : s.kind === 'discussion'))
    st.stopTimer = countdown(timer, s.deadline, q ? 'timer.left' : 'timer.discussion');
  $('join-hint').textContent = s.kind === 'case' ? '' : t('present.join_hint', { url: joinBase(), code });
  $('counts').textContent = t('present.joined', { n: st.participants });
}

// The language: this browser's choice, else the session's (once watching), else the browser's own.
startLanguage();
$('lang-box').replaceChildren(languageSwitch());
setupScreen();
onLanguage(() => (st.stage ? render() : placeholder()));
placeholder();
if (code) conn.start();
