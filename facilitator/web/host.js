// The facilitator console: scenarios, start or re-attach a session, run it stage by stage.
// The key comes from location.hash (#key=...) and is kept in sessionStorage only, never in a URL query.
import { Connection, RequestError, showState, h, countdown } from './client.js';
import { renderResults, renderPerspectives } from './results.js';
import { caseActions } from './cases.js';
import { openReview } from './review.js';
import { t, errorText, startLanguage, onLanguage, languageSwitch } from './i18n.js';
import { dealsLenses, lensPicker, smallGroupWarning, startLensPicker } from './lenses.js';
import { cohostBox } from './cohost.js';

const $ = (id) => document.getElementById(id);
const KEY = 'roundtable.key';
const SESSION = 'roundtable.session';

const hashKey = new URLSearchParams(location.hash.slice(1)).get('key');
if (hashKey) {
  sessionStorage.setItem(KEY, hashKey);
  // Off the address bar, so the key is not on screen when the laptop is projected.
  history.replaceState(null, '', location.pathname);
}

const st = {
  hosting: null,
  code: sessionStorage.getItem(SESSION),
  view: null,        // the facilitator's SessionView
  questions: {},     // question -> {round, status, revealed, ballots, closes_in, deadline, lenses}
  lenses: {},        // question -> the lenses chosen for its next round (assigned model_outcome)
  results: {},
  perspectives: {},
  participants: 0,
  confirmEnd: false,
  confirmDelete: null, // the saved case whose delete waits for a second press
  stopTimer: null,
  message: '',
  cohost: { code: null, link: '', error: '' },  // the last co-host link made (cohost.js)
};

const conn = new Connection({
  onopen: host,
  onpush,
  onstate: (s, d) => showState($('conn'), s, d),
  wanted: () => !!sessionStorage.getItem(KEY),
});

async function host() {
  const key = sessionStorage.getItem(KEY);
  if (!key) return showLogin('');
  try {
    st.hosting = await conn.request({ type: 'host', key });
    $('login').hidden = true;
    const known = st.code && st.hosting.sessions.find((s) => s.code === st.code);
    if (known) return attach(st.code);
    // A reconnect while a case is being written keeps the editor and what is in it.
    if (!$('editor').hidden) return;
    showHome();
  } catch (e) {
    if (e.code === 'unauthorized') {
      sessionStorage.removeItem(KEY);
      return showLogin(t('login.wrong_key'));
    }
    if (e.code === 'rate_limited') return showLogin(t('login.rate_limited'));
  }
}

function showLogin(msg) {
  $('login').hidden = false;
  $('home').hidden = true;
  $('editor').hidden = true;
  $('run').hidden = true;
  $('key-error').textContent = msg;
  $('key').focus();
}

const cases = caseActions({
  conn,
  pane: $('editor'),
  hosting: () => st.hosting,
  refresh: async () => {
    st.hosting = await conn.request({ type: 'host', key: sessionStorage.getItem(KEY) });
    if (!st.view) showHome();
  },
  note: (text, focusCase) => {
    $('home-note').textContent = text;
    const card = focusCase && document.querySelector(`[data-scenario="${CSS.escape(focusCase)}"] h3`);
    if (card) card.focus();
  },
  showPane: (editing) => {
    $('editor').hidden = !editing;
    $('home').hidden = editing;
    if (editing) $('run').hidden = true;
    else showHome();
  },
  enter: (code, view) => enter(code, view),
});

$('new-case').addEventListener('click', () => cases.newCase());
$('quick-case').addEventListener('click', () => cases.quick());
$('import-file').addEventListener('change', (e) => {
  const file = e.target.files[0];
  e.target.value = '';
  if (file) cases.importFile(file);
});

function showHome() {
  st.view = null;
  $('review').hidden = true;
  $('home').hidden = false;
  $('editor').hidden = true;
  $('editor').replaceChildren(); // a closed editor leaves no fields behind
  $('run').hidden = true;
  // A co-host key drives its one session: no cases to write or start.
  document.querySelector('.case-tools').hidden = st.hosting.role === 'cohost';
  $('scenarios').replaceChildren(...st.hosting.scenarios.map(scenarioCard));
  sessionList();
}

// One case of the list: start it, and edit, duplicate, download or delete it (a folder case is read-only).
function scenarioCard(s) {
  const mg = h('input', { type: 'number', id: `mg-${s.id}`, min: '1', max: '50', value: '3', class: 'narrow' });
  const live = h('input', { type: 'checkbox', id: `live-${s.id}` });
  const conf = h('input', { type: 'checkbox', id: `conf-${s.id}` });
  const lenses = startLensPicker(`lenses-${s.id}`);
  const saved = s.source === 'saved';
  const named = (verb) => t(`card.${verb}_named`, { title: s.title });
  const del = st.confirmDelete === s.id
    ? [h('button', { type: 'button', class: 'small danger', id: `delete-yes-${s.id}`, onclick: () => { st.confirmDelete = null; cases.remove(s.id); } }, t('card.delete_yes', { title: s.title })),
      h('button', { type: 'button', class: 'small secondary', onclick: () => { st.confirmDelete = null; showHome(); } }, t('card.keep'))]
    : h('button', { type: 'button', class: 'small secondary delete', 'aria-label': named('delete'),
      onclick: () => { st.confirmDelete = s.id; showHome(); document.getElementById(`delete-yes-${s.id}`)?.focus(); } }, t('card.delete'));
  return h('li', { class: 'card scenario', 'data-scenario': s.id, 'data-source': s.source || 'folder' },
    h('h3', { tabindex: '-1' }, s.title, h('span', { class: 'badge' }, saved ? t('card.saved') : t('card.read_only'))), h('p', {}, s.summary),
    h('div', { class: 'row' },
      h('span', { class: 'check' }, h('label', { for: mg.id }, t('option.threshold')), mg),
      h('span', { class: 'check' }, live, h('label', { for: live.id }, t('option.live'))),
      h('span', { class: 'check' }, conf, h('label', { for: conf.id }, t('option.confidential'))), lenses.el),
    h('div', { class: 'row' },
      h('button', { type: 'button', class: 'start', onclick: () => start(s.id, Number(mg.value), live.checked, conf.checked, lenses.value()) },
        named('start'))),
    h('div', { class: 'row case-actions' },
      saved ? h('button', { type: 'button', class: 'small secondary edit', 'aria-label': named('edit'), onclick: () => cases.editCase(s.id) }, t('card.edit')) : null,
      h('button', { type: 'button', class: 'small secondary duplicate', 'aria-label': named(saved ? 'duplicate' : 'duplicate_edit'),
        onclick: () => cases.duplicate(s.id) }, saved ? t('card.duplicate') : t('card.duplicate_edit')),
      h('button', { type: 'button', class: 'small secondary download', 'aria-label': named('download'), onclick: () => cases.download(s.id) }, t('card.download')),
      saved ? del : null));
}

function sessionList() {
  const sessions = st.hosting.sessions;
  $('sessions').replaceChildren(...(sessions.length ? sessions.map((s) => h('li', {},
    h('span', {}, `${s.code} · ${s.scenario} · ${t('count.participants', { n: s.participants })}${s.ended ? ` · ${t('session.ended')}` : ''}`),
    h('button', { type: 'button', class: 'small', onclick: () => attach(s.code) }, s.ended ? t('sessions.view') : t('sessions.resume')),
    s.ended ? h('button', { type: 'button', class: 'small', onclick: () => review(s.code) }, t('sessions.review')) : null))
    : [h('li', { class: 'muted' }, t('sessions.none'))]));
}

// An ended session's read-only review (review.js); back to a fresh list of sessions after it.
function review(code) {
  openReview(code, {
    request: (m) => conn.request(m),
    key: () => sessionStorage.getItem(KEY),
    back: async () => { st.hosting = await conn.request({ type: 'host', key: sessionStorage.getItem(KEY) }); showHome(); },
  });
}

async function start(scenario, minGroup, live, confidential, lenses) {
  try {
    const options = { min_group: minGroup || 3, live };
    if (confidential) options.confidential = true;
    if (typeof lenses === 'number') options.lenses = lenses;
    const r = await conn.request({ type: 'start', scenario, options });
    enter(r.code, r.session);
  } catch (e) {
    $('home-note').textContent = t('home.start_failed', { reason: errorText(e) });
  }
}

async function attach(code) {
  try {
    const r = await conn.request({ type: 'attach', code });
    enter(code, r.session);
  } catch (e) {
    sessionStorage.removeItem(SESSION);
    st.code = null;
    showHome();
  }
}

function enter(code, view) {
  st.code = code;
  sessionStorage.setItem(SESSION, code);
  st.view = view;
  view.stage.deadline = deadlineOf(view.stage.ends_in);
  st.participants = view.participants;
  st.questions = {};
  for (const [q, s] of Object.entries(view.questions || {})) st.questions[q] = { ...s, deadline: deadlineOf(s.closes_in) };
  st.results = {};
  st.perspectives = {};
  st.lenses = {};
  $('home').hidden = true;
  $('editor').hidden = true;
  $('run').hidden = false;
  renderRun();
}

const deadlineOf = (s) => (typeof s === 'number' ? Date.now() + s * 1000 : null);

function onpush(m) {
  if (!st.view || (m.code && m.code !== st.code)) return;
  const q = m.question && (st.questions[m.question] ||= { round: 0, status: 'closed', revealed: false, ballots: 0 });
  switch (m.type) {
    case 'stage':
      st.view.stage = m.stage;
      m.stage.deadline = deadlineOf(m.stage.ends_in);  // a discussion's timer, if it has one
      break;
    case 'round':
      if (m.round !== q.round) {
        q.ballots = 0;
        q.revealed = false;  // a new round is blind until the next reveal
      }
      q.round = m.round;
      q.status = m.status;
      q.deadline = m.status === 'open' ? deadlineOf(m.closes_in) : null;
      break;
    case 'progress': q.ballots = m.ballots; break;
    case 'results': st.results[m.question] = m; q.ballots = m.ballots; break;
    case 'hidden': q.revealed = false; break;
    case 'perspectives': st.perspectives[m.question] = m.items; break;
    case 'presence': st.participants = m.participants; break;
    case 'ended': st.view.ended = true; break;
    default: return;
  }
  renderRun();
}

async function command(msg, after) {
  try {
    await conn.request({ ...msg, code: st.code });
    st.message = '';
    if (after) after();
  } catch (e) {
    st.message = e instanceof RequestError ? errorText(e) : String(e);
  }
  renderRun();
}

function alertMsg(text) {
  st.message = text;
  renderRun();
}

const stageList = () => st.view.stages || [];
const currentQuestion = () => {
  const s = st.view.stage;
  if (s.kind === 'question') return s.id;
  if (s.kind === 'revote') return s.of;
  return null;
};
const questionView = (id) => (stageList().find((s) => s.id === id) || {}).question;

function go(index) {
  const n = stageList().length;
  if (index < 0 || index >= n) return;
  command({ type: 'goto', stage: index });
}

// The lenses the next round of an assigned question deals: the console's choice, else the last round's, else
// the session's (issue 11).
function lensesFor(qid, qv) {
  if (!dealsLenses(qv)) return null;
  const chosen = st.lenses[qid];
  if (typeof chosen === 'number') return chosen;
  const last = (st.questions[qid] || {}).lenses;
  return typeof last === 'number' ? last : typeof st.view.lenses === 'number' ? st.view.lenses : qv.models.length;
}

// open on an open round with seconds: its timer set again from now, longer or shorter (issue 11).
function setTimer(qid) {
  const secs = Number($('timer-seconds')?.value || 0);
  if (secs) command({ type: 'open', question: qid, seconds: secs });
}

function openClose(qid) {
  const q = st.questions[qid] || { status: 'closed' };
  if (q.status === 'open') return command({ type: 'close', question: qid });
  const secs = Number($('timer-seconds')?.value || 0);
  const msg = { type: 'open', question: qid };
  if (secs) msg.seconds = secs;
  const lenses = lensesFor(qid, questionView(qid));
  if (lenses !== null) msg.lenses = lenses;
  return command(msg, () => { if (lenses !== null) st.questions[qid] = { ...st.questions[qid], lenses }; });
}

function revealHide(qid) {
  const q = st.questions[qid] || {};
  const revealing = !q.revealed;
  return command({ type: revealing ? 'reveal' : 'hide', question: qid }, () => {
    st.questions[qid] = { ...q, revealed: revealing };
  });
}

async function exportFile(format) {
  const res = await fetch(`/api/sessions/${st.code}/export.${format}`, {
    headers: { Authorization: `Bearer ${sessionStorage.getItem(KEY)}` },
  });
  if (!res.ok) return alertMsg(t('run.export_failed', { status: res.status }));
  const url = URL.createObjectURL(await res.blob());
  const a = h('a', { href: url, download: `roundtable-${st.code}.${format}` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function renderRun() {
  if (!st.view) return;
  // The view is redrawn whole; keep the keyboard focus and the timer field across it.
  const focused = document.activeElement && document.activeElement.id;
  const seconds = $('timer-seconds')?.value;
  draw();
  if (seconds && $('timer-seconds')) $('timer-seconds').value = seconds;
  if (focused && $(focused)) $(focused).focus();
}

function draw() {
  if (st.stopTimer) st.stopTimer();
  st.stopTimer = null;
  const v = st.view;
  const stage = v.stage;
  const joinUrl = v.join_url;
  const copy = h('button', { type: 'button', class: 'small', onclick: async () => {
    try { await navigator.clipboard.writeText(joinUrl); copy.textContent = t('run.copied'); } catch { link.select(); }
  } }, t('run.copy_link'));
  const link = h('input', { id: 'join-link', readonly: true, value: joinUrl, 'aria-label': t('run.participant_link') });
  const qid = currentQuestion();
  const q = qid ? st.questions[qid] || { round: 0, status: 'closed', revealed: false, ballots: 0 } : null;
  const qv = qid ? questionView(qid) : null;

  const controls = [];
  const lenses = qv && q.status !== 'open' && !v.ended ? lensesFor(qid, qv) : null;
  const small = lenses !== null ? smallGroupWarning(qv, st.participants, v.min_group, lenses) : null;
  if (small) controls.push(small);
  if (qid && !v.ended) {
    const timerBox = h('span', { class: 'row' },
      h('label', { for: 'timer-seconds' }, t('run.timer')),
      h('input', { id: 'timer-seconds', type: 'number', min: '5', max: '3600', step: '5', class: 'narrow', placeholder: t('run.timer_none') }));
    controls.push(h('div', { class: 'row controls' },
      h('button', { type: 'button', id: 'open-close', onclick: () => openClose(qid),
        'aria-keyshortcuts': 'O' }, q.status === 'open' ? t('run.close_voting')
        : q.round === 0 ? t('run.open_voting') : t('run.revote', { round: q.round + 1 })),
      timerBox,
      lenses !== null ? lensPicker(qv, lenses, (n) => { st.lenses[qid] = n; renderRun(); }) : null,
      q.status === 'open' ? h('button', { type: 'button', id: 'set-timer', class: 'secondary', onclick: () => setTimer(qid) }, t('run.set_timer')) : null,
      h('button', { type: 'button', id: 'reveal-hide', onclick: () => revealHide(qid), disabled: q.round === 0,
        'aria-keyshortcuts': 'R' }, q.revealed ? t('run.hide_results') : t('run.reveal_results'))));
  }
  const timer = h('span', { id: 'host-timer', class: 'timer' });
  const preview = [];
  if (qid && qv) {
    if (qv.type === 'text') {
      preview.push(h('h3', {}, t('run.moderation')),
        renderPerspectives(st.perspectives[qid], { empty: t('run.no_perspectives_yet'),
          moderate: (it, action) => command({ type: 'moderate', perspective: it.id, action }) }));
    } else if (st.results[qid]) {
      preview.push(h('h3', {}, q.revealed || v.live ? t('run.results_shown') : t('run.preview')),
        renderResults(qv, st.results[qid], v.min_group));
    } else preview.push(h('p', { class: 'muted' }, t('run.no_results_yet')));
  }
  if (stage.kind === 'discussion')
    for (const id of stage.show || []) {
      const sq = questionView(id);
      if (!sq) continue;
      preview.push(h('h3', {}, sq.prompt));
      if (sq.type === 'text')
        preview.push(renderPerspectives(st.perspectives[id], { empty: t('run.no_perspectives'),
          moderate: (it, action) => command({ type: 'moderate', perspective: it.id, action }) }));
      else if (st.results[id]) preview.push(renderResults(sq, st.results[id], v.min_group));
      else preview.push(h('p', { class: 'muted' }, t('run.no_results')));
    }

  $('run').replaceChildren(
    h('div', { class: 'run-grid' },
      h('section', { class: 'card join-box', 'aria-label': t('run.how_to_join') },
        h('p', { class: 'muted' }, v.scenario.title),
        h('p', { class: 'join-code-label' }, t('run.join_code')),
        h('p', { class: 'join-code', id: 'join-code' }, v.code),
        h('img', { src: `/qr/${v.code}.svg`, alt: t('run.qr_alt', { url: joinUrl }), class: 'qr', width: '180', height: '180' }),
        h('div', { class: 'row' }, link, copy),
        h('p', {}, h('a', { href: `/present/${v.code}`, target: '_blank', rel: 'noopener' }, t('run.projector'))),
        h('p', { class: 'counts', id: 'participants', role: 'status' }, t('run.connected', { n: st.participants }))),
      h('section', { class: 'card stage-box', 'aria-label': t('run.current_stage') },
        h('div', { class: 'row nav' },
          h('button', { type: 'button', id: 'prev', onclick: () => go(stage.index - 1), disabled: stage.index === 0,
            'aria-keyshortcuts': 'P' }, t('run.previous')),
          h('span', {}, t('run.stage_of', { n: stage.index + 1, count: stage.count })),
          h('button', { type: 'button', id: 'next', onclick: () => go(stage.index + 1), disabled: stage.index >= stage.count - 1,
            'aria-keyshortcuts': 'N' }, t('run.next'))),
        h('h2', { id: 'host-stage-title' }, stage.title, h('span', { class: 'badge' }, t(`kind.${stage.kind}`))),
        qv ? h('p', { class: 'prompt' }, qv.prompt) : null,
        q ? h('p', { class: 'round-info', id: 'round-info', role: 'status' },
          q.round === 0 ? t('run.not_opened') : t('run.round_status', { round: q.round, status: t(`round.${q.status}`) }),
          q.status === 'open' ? ` · ${t('run.ballots_in', { n: q.ballots })}` : '',
          ` · ${q.revealed ? t('run.revealed') : t('run.hidden')}`, ' ', timer)
          : stage.deadline ? h('p', { class: 'round-info', id: 'round-info' }, timer) : null,
        ...controls,
        h('div', { class: 'preview', id: 'preview' }, preview),
        st.message ? h('p', { class: 'error', role: 'alert' }, st.message) : null),
      h('nav', { class: 'card stages', 'aria-label': t('run.stages') },
        h('h2', {}, t('run.stages')),
        h('ol', {}, stageList().map((s) => h('li', {},
          h('button', { type: 'button', class: 'link', id: `stage-${s.index}`, 'aria-current': s.index === stage.index ? 'step' : null,
            onclick: () => go(s.index) }, s.title, h('span', { class: 'muted' }, ` · ${t(`kind.${s.kind}`)}`)))))),
      h('section', { class: 'card session-box', 'aria-label': t('run.session') },
        h('h2', {}, t('run.session')),
        h('p', {}, [t('run.threshold', { n: v.min_group }), v.live ? t('run.live') : null, v.ended ? t('session.ended') : null]
          .filter(Boolean).join(' · ')),
        h('div', { class: 'row' },
          h('button', { type: 'button', onclick: () => exportFile('json') }, t('run.export_json')),
          h('button', { type: 'button', onclick: () => exportFile('csv') }, t('run.export_csv'))),
        v.ended ? null : h('div', { class: 'row' },
          st.confirmEnd
            ? [h('button', { type: 'button', class: 'danger', id: 'confirm-end', onclick: () => { st.confirmEnd = false; command({ type: 'end' }); } }, t('run.end_yes')),
              h('button', { type: 'button', onclick: () => { st.confirmEnd = false; renderRun(); } }, t('common.cancel'))]
            : h('button', { type: 'button', class: 'danger', id: 'end', onclick: () => { st.confirmEnd = true; renderRun(); } }, t('run.end'))),
        cohostBox({ code: v.code, ended: v.ended, role: st.hosting && st.hosting.role, state: st.cohost,
          request: (m) => conn.request(m), redraw: renderRun }),
        h('p', {}, h('button', { type: 'button', class: 'link', onclick: () => { sessionStorage.removeItem(SESSION); st.code = null; showHome(); } }, t('common.back_to_list'))),
        h('p', { class: 'muted' }, t('run.keys')))));
  if (q && q.status === 'open' && q.deadline) st.stopTimer = countdown(timer, q.deadline);
  else if (!q && stage.deadline) st.stopTimer = countdown(timer, stage.deadline, 'timer.discussion');
}

// Keyboard: the workshop can be run without the mouse (not while typing in a field).
document.addEventListener('keydown', (e) => {
  if (!st.view || e.ctrlKey || e.metaKey || e.altKey) return;
  const target = e.target;
  if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT' || target.isContentEditable)) return;
  const qid = currentQuestion();
  const k = e.key.toLowerCase();
  if (k === 'n') go(st.view.stage.index + 1);
  else if (k === 'p') go(st.view.stage.index - 1);
  else if (k === 'o' && qid && !st.view.ended) openClose(qid);
  else if (k === 'r' && qid && !st.view.ended) revealHide(qid);
  else return;
  e.preventDefault();
});

$('key-form').addEventListener('submit', (e) => {
  e.preventDefault();
  sessionStorage.setItem(KEY, $('key').value.trim());
  if (conn.isOpen) host();
  else conn.start(); // hosts once open
});

// The console's language: its own switch, else the browser's. A change redraws what is on screen.
startLanguage();
$('lang-box').replaceChildren(languageSwitch());
onLanguage(() => {
  if (st.view) renderRun();
  else if (st.hosting && !$('home').hidden) showHome();
});

// Connect only with a key to host with: the server closes a connection that takes no role in time.
if (sessionStorage.getItem(KEY)) conn.start();
else showLogin('');
