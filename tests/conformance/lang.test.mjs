// docs/protocol.md, an addition to v1: a scenario's optional "lang" (a BCP 47 tag) is in every SessionView's
// `scenario` (participant, projector, console), so a page can speak the session's language; it is the session's
// own copy (a later edit of the file changes nothing) and survives a restart. A scenario without it has no field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, scenarioDir, fixtures, facilitator, participant, projector, startSession } from './harness.mjs';

const conf = JSON.parse(readFileSync(join(fixtures, 'conf.json'), 'utf8'));

test('"lang" reaches every role\'s SessionView, stays the session\'s own, and survives a restart', async () => {
  const scenarios = scenarioDir({ 'german.json': { ...conf, id: 'german', lang: 'de-AT' } });
  const s = await startServer({ scenarios });
  const f = await facilitator(s);
  const { code, started } = await startSession(f, { scenario: 'german' });
  const plain = await startSession(f);
  assert.equal(started.session.scenario.lang, 'de-AT');
  // The file changes after the start: the running session keeps the language it started with.
  writeFileSync(join(scenarios, 'german.json'), JSON.stringify({ ...conf, id: 'german', lang: 'en' }));

  const views = async (server) => {
    const p = await participant(server, code);
    const w = await projector(server, code);
    const host = await facilitator(server);
    const attached = await host.ok({ type: 'attach', code });
    const out = [p.joined.session, w.joined.session, attached.session];
    const other = await participant(server, plain.code);
    out.push(other.joined.session);
    for (const c of [p, w, host, other]) c.close();
    return out;
  };
  const check = (list, when) => {
    const [p, w, a, other] = list;
    for (const [view, who] of [[p, 'participant'], [w, 'projector'], [a, 'console']])
      assert.equal(view.scenario.lang, 'de-AT', `${when}: the ${who}'s view`);
    assert.ok(!('lang' in other.scenario), `${when}: a scenario without "lang" has no field`);
  };
  check(await views(s), 'running');
  f.close();
  await s.stop();
  const s2 = await startServer({ db: s.db, scenarios });
  try {
    check(await views(s2), 'after a restart');
  } finally {
    await s2.stop();
  }
});
