// The console's own cases: the actions of the case list (write, edit, duplicate, download, delete, import)
// and the quick case for supervision, on the wire of issue 10 (scenario_save, scenario_get,
// scenario_delete, start with "confidential" and an inline scenario). The editor itself is editor.js.
import { RequestError, h } from './client.js';
import { openEditor } from './editor.js';
import { templateCase, slug, uniqueId } from './case-template.js';
import { t, errorText } from './i18n.js';

/**
 * The case actions for the console. ctx: conn, pane (the element the editor is drawn in), hosting() (the
 * latest hosting reply), refresh() (asks for a fresh one and shows the list), note(text) (a line above the
 * list), showPane(bool) (editor or list), enter(code, view) (into a started session).
 */
export function caseActions(ctx) {
  const takenIds = () => new Set(ctx.hosting().scenarios.map((s) => s.id));

  // What a refused save or start shows in the editor: every detail next to its field. A folder case's id
  // is refused without details: that is the short name's problem, so it is shown there.
  const problemOf = (e) => {
    const message = e instanceof RequestError ? errorText(e) : String(e);
    if (e instanceof RequestError && e.code === 'read_only_scenario') return { message, details: [{ path: 'id', rule: message }] };
    const details = e instanceof RequestError && Array.isArray(e.details) ? e.details : [];
    return { message, details, more: (e && e.more) || 0 };
  };

  async function save(scenario) {
    try {
      const r = await ctx.conn.request({ type: 'scenario_save', scenario });
      await ctx.refresh();
      const title = scenario.title.trim();
      ctx.note(r.version > 1 ? t('cases.saved_version', { title, version: r.version }) : t('cases.saved', { title }), r.scenario || scenario.id);
      return null;
    } catch (e) {
      return problemOf(e);
    }
  }

  // A confidential case goes inline in `start` and is never saved; any other quick case is saved first.
  async function startQuick(scenario, { confidential, min_group, live }) {
    try {
      const options = { min_group, live };
      let r;
      if (confidential) {
        options.confidential = true;
        r = await ctx.conn.request({ type: 'start', scenario, options });
      } else {
        const saved = await ctx.conn.request({ type: 'scenario_save', scenario });
        r = await ctx.conn.request({ type: 'start', scenario: saved.scenario || scenario.id, options });
      }
      ctx.showPane(false);
      ctx.enter(r.code, r.session);
      return null;
    } catch (e) {
      return problemOf(e);
    }
  }

  function edit(scenario, mode, notice) {
    ctx.showPane(true);
    const cancel = () => {
      ctx.showPane(false);
      ctx.note('');
    };
    openEditor(ctx.pane, { scenario, mode, notice, takenIds: takenIds(), actions: { save, start: startQuick, cancel } });
  }

  // The case's format-1 JSON from the server (the reply carries it as `scenario`).
  async function fetchCase(id) {
    const r = await ctx.conn.request({ type: 'scenario_get', scenario: id });
    if (r.scenario && typeof r.scenario === 'object') return r.scenario;
    const { type, id: _requestId, ...rest } = r;
    return rest;
  }

  const failed = (what) => (e) => ctx.note(t(what, { reason: e instanceof RequestError ? errorText(e) : e.message || e }));

  return {
    /** A new case from the template (or from an imported file). */
    newCase: (scenario = templateCase()) => edit(scenario, 'new'),
    quick: () => edit(templateCase({ outcomes: ['', '', ''] }), 'quick'),
    editCase: (id) => fetchCase(id).then((s) => edit(s, 'edit'), failed('cases.open_failed')),
    duplicate: (id) => fetchCase(id).then((s) => {
      const title = t('cases.copy_title', { title: s.title || id });
      edit({ ...s, title, id: uniqueId(slug(`${s.id || id}-copy`), takenIds()) }, 'new');
    }, failed('cases.duplicate_failed')),
    download: (id) => fetchCase(id).then((s) => saveFile(`${id}.json`, `${JSON.stringify(s, null, 2)}\n`),
      failed('cases.download_failed')),
    remove: (id) => ctx.conn.request({ type: 'scenario_delete', scenario: id })
      .then(() => ctx.refresh()).then(() => ctx.note(t('cases.deleted')), failed('cases.delete_failed')),
    /** Opens a .json file in the editor, to be checked and saved. */
    importFile: async (file) => {
      let s;
      try {
        s = JSON.parse(await file.text());
      } catch (e) {
        return ctx.note(t('cases.import_not_json', { name: file.name, reason: e.message }));
      }
      if (!s || typeof s !== 'object' || Array.isArray(s)) return ctx.note(t('cases.import_no_case', { name: file.name }));
      if (s.format !== 1) return ctx.note(t('cases.import_format', { name: file.name, format: JSON.stringify(s.format) }));
      edit(s, 'new', t('cases.imported', { name: file.name }));
    },
  };
}

/** Hands `text` to the browser as a download named `name`. */
export function saveFile(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
