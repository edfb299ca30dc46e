// The console's case editor (facilitator/web/editor.js, case-template.js) writes format 1: what it writes
// must pass the scenario schema, a bundled case must survive a trip through the editor's draft unchanged
// (nothing dropped, nothing reordered, so a validator path names the row it came from), and a case from
// the template needs only a title, a text and its outcomes.
//
// Run from the repository root: node --test tests/schema/
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";
import { draftOf, toScenario, describePath, summaryOf } from "../../facilitator/web/editor.js";
import { templateCase, slug, uniqueId } from "../../facilitator/web/case-template.js";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const scenarios_dir = join(repo, "scenarios");
const read_json = (path) => JSON.parse(readFileSync(path, "utf8"));
const validate = new Ajv2020({ strict: true, allErrors: true }).compile(
  read_json(join(scenarios_dir, "scenario.schema.json")),
);
const accepted = (s) => assert.ok(validate(s), JSON.stringify(validate.errors, null, 1));

// Defaults the editor writes out although a file may leave them away.
function normal(s) {
  const out = structuredClone(s);
  delete out.$schema;
  for (const st of out.stages) {
    const q = st.question;
    if (!q) continue;
    if (q.type === "choice" && q.max_choices === 1) delete q.max_choices;
    if (q.type === "model_outcome" && q.assign === false) delete q.assign;
    if (q.type === "text" && q.max_length === 280) delete q.max_length;
  }
  return out;
}

const bundled = readdirSync(scenarios_dir)
  .filter((f) => f.endsWith(".json") && !f.endsWith(".schema.json"))
  .map((f) => `scenarios/${f}`);

for (const file of [...bundled, "tests/fixtures/server/demo.json"]) {
  test(`editor: ${file} comes back from the editor's draft unchanged`, () => {
    const original = read_json(join(repo, file));
    const again = toScenario(draftOf(original));
    assert.deepEqual(normal(again), normal(original));
    accepted(again);
  });
}

test("editor: a case from the template is a title, a text and its outcomes away from valid", () => {
  const blank = toScenario(draftOf(templateCase()));
  assert.equal(validate(blank), false, "an empty template must not pass");
  const s = templateCase({
    id: "my-case",
    title: "My case",
    summary: "One line.",
    paragraphs: ["First paragraph.", "Second."],
    outcomes: ["Tell the client", "Wait a week", "Ask a colleague"],
  });
  const out = toScenario(draftOf(s));
  accepted(out);
  assert.deepEqual(out.outcomes.map((o) => o.id), ["tell-the-client", "wait-a-week", "ask-a-colleague"]);
  assert.deepEqual(out.stages.map((st) => st.question?.type ?? st.kind),
    ["case", "choice", "choice", "scale", "points", "model_outcome", "text", "discussion", "revote"]);
  assert.equal(out.models.length, 4);

  // The core validator too, when the program is built (scripts/test builds it first).
  const facilitator = join(repo, "build", "bin", "facilitator");
  if (!existsSync(facilitator)) return;
  const dir = mkdtempSync(join(tmpdir(), "roundtable-editor-"));
  try {
    writeFileSync(join(dir, "my-case.json"), JSON.stringify(out));
    const r = spawnSync(facilitator, ["validate", join(dir, "my-case.json")], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("editor: ids the user never typed are unique and in the format's alphabet", () => {
  const d = draftOf(templateCase({ outcomes: ["Same", "Same", "", "Ça va?"] }));
  const ids = toScenario(d).outcomes.map((o) => o.id);
  assert.deepEqual(ids, ["same", "same-2", "outcome-3", "ca-va"]);
  // A row keeps its id once made, even when its label changes.
  d.outcomes[0].label = "Changed";
  assert.equal(toScenario(d).outcomes[0].id, "same");
  assert.equal(slug("  !!! "), "case");
  assert.ok(slug("x".repeat(100)).length <= 40);
  assert.equal(uniqueId("a", new Set(["a", "a-2"])), "a-3");
});

test("editor: paragraphs are split on empty lines, and a path is told in words", () => {
  const d = draftOf(templateCase({ title: "T", paragraphs: ["One"] }));
  d.caseText = "One\nstill one\n\n  \nTwo\n";
  assert.deepEqual(toScenario(d).case, ["One\nstill one", "Two"]);
  assert.equal(describePath(d, "stages[4].question.options[1].id"), "Stage 5 “Weighing the principles” · option 2");
  assert.equal(describePath(d, "outcomes[0].label"), "Outcome 1");
  assert.equal(describePath(d, "case[1]"), "Case text, paragraph 2");
  assert.equal(describePath(d, "title"), "Title");
  assert.equal(summaryOf({ case: ["A short case. With more."], title: "T" }), "A short case.");
});
