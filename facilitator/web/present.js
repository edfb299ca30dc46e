// The projector view: read-only, large type. Join code and QR, how many have joined, the case, the question,
// live ballot count and time left, revealed results (updated in place, so bars glide) with what the
// agreement means, a re-vote drawn over the round before, and the wall of shown perspectives.
import { Connection, showState, h, paragraphs, countdown } from './client.js';
import { renderResults, renderPerspectives } from './results.js';
import { patchChildren } from './patch.js';
import { agreementNote, roundBefore } from './present-results.js';
import { setupScreen } from './present-screen.js';

/** Every string the projector shows (one table, for translations). */
const TEXT = {
  noSession: (code) => `No session has the code ${code}.`,
  noCode: 'This projector link has no session code.',
  qrAlt: 'QR code of the join link',
  joinAt: 'Join at',
  withCode: 'with the code',
  joinHint: (url, code) => `Join: ${url} · code ${code}`,
  joined: (n) => `${n} joined`,
  votingOpen: (n) => `Voting open · ${n} ${n === 1 ? 'ballot' : 'ballots'} in`,
  opensSoon: 'Voting opens soon',
  closed: (round) => `Voting closed${round > 1 ? ` · round ${round}` : ''}`,
  timeLeft: 'Time left ',
  discussionLeft: 'Discussion time left ',
  ended: 'This session has ended. Thank you!',
  fullScreen: 'Full screen (F)',
  leaveFullScreen: 'Leave full screen (F)',
  darkTheme: 'Dark theme',
  was: (p) => ` (was ${p}%)`,
  before: (round) => `Faded: round ${round - 1} · solid: round ${round}`,
  beforeCompared: (round, n) => `Faded: round ${round - 1}, of the ${n} who voted both times · solid: round ${round}`,
  and: (items) => (items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`),
  majority: (label, p) => `Majority: “${label}”, ${p}%.`,
  noMajority: (label, p) => `No majority: the most chosen, “${label}”, has ${p}%.`,
  tie: (labels, p) => `No majority: ${labels} have ${p}% each.`,
  agreement: (p, k) => `Agreement ${p}%: 100% if everyone gives the same answer, 0% if the answers are spread evenly over all ${k} options.`,
  agreementModels: (k) => `Agreement (last column): 100% if everyone chose the same outcome for that model, 0% if the answers are spread evenly over all ${k} outcomes.`,
};

const $ = (id) => document.getElementById(id);
const code = (location.pathname.match(/^\/present\/(\d{6})$/) || [])[1];

// `history`: every tally seen, by question and round, for the before-to-after view of a re-vote.
const st = { view: null, stage: null, results: {}, history: {}, perspectives: {}, progress: {}, participants: 0, stopTimer: null };

const conn = new Connection({ onopen: watch, onpush, onstate: (s, d) => showState($('conn'), s, d) });

async function watch() {
  try {
    const r = await conn.request({ type: 'watch', code });
    st.view = r.session;
    st.participants = r.session.participants || 0;
    st.results = {};
    st.perspectives = {};
    setStage(r.session.stage);
  } catch (e) {
    if (e.code === 'unknown_code') $('main').replaceChildren(h('h1', {}, TEXT.noSession(code)));
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
    h('img', { src: `/qr/${code}.svg`, alt: TEXT.qrAlt, class: 'qr' }),
    h('div', {},
      h('p', { class: 'join-code-label' }, TEXT.joinAt),
      h('p', { class: 'join-url' }, joinBase()),
      h('p', { class: 'join-code-label' }, TEXT.withCode),
      h('p', { class: 'join-code', id: 'present-code' }, code),
      st.view ? h('p', { class: 'joined-big', id: 'present-joined' }, TEXT.joined(st.participants)) : null));
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
  const opts = { before: roundBefore(q, r, st.history[q.id], TEXT), agreement: (qq, t, n) => agreementNote(qq, t, n, TEXT) };
  return h('section', { class: 'present-results', 'data-question': q.id }, title, renderResults(q, r, st.view.min_group, opts));
}

function questionParts(s, q) {
  const n = st.progress[q.id];
  const status = s.status === 'open' ? TEXT.votingOpen(typeof n === 'number' ? n : 0)
    : s.round === 0 ? TEXT.opensSoon : TEXT.closed(s.round);
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
  if (st.view.ended) parts.push(h('p', { class: 'present-status' }, TEXT.ended));
  patchChildren($('main'), parts);
  const timer = $('present-timer');
  if (timer && s.deadline && (q ? s.status === 'open' : s.kind === 'discussion'))
    st.stopTimer = countdown(timer, s.deadline, q ? TEXT.timeLeft : TEXT.discussionLeft);
  $('join-hint').textContent = s.kind === 'case' ? '' : TEXT.joinHint(joinBase(), code);
  $('counts').textContent = TEXT.joined(st.participants);
}

setupScreen(TEXT);
if (!code) $('main').replaceChildren(h('h1', {}, TEXT.noCode));
else {
  $('main').replaceChildren(joinPanel());
  conn.start();
}
