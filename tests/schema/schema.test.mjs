// Keeps scenarios/scenario.schema.json honest: it must accept every bundled
// scenario and every valid fixture, refuse every invalid fixture the manifest
// marks "reject", and accept the ones it marks "accept" (rules only the C++
// validator can judge, such as duplicate ids and references between stages).
//
// Run from the repository root: node --test tests/schema/
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..");
const scenarios_dir = join(repo, "scenarios");
const valid_dir = join(repo, "tests", "fixtures", "scenarios", "valid");
const invalid_dir = join(repo, "tests", "fixtures", "scenarios", "invalid");
const manifest_name = "manifest.json";

const read_json = (path) => JSON.parse(readFileSync(path, "utf8"));
const json_files = (dir) => readdirSync(dir).filter((f) => f.endsWith(".json")).sort();

// strict: an unknown keyword or a type-less applicator in the schema is an
// error here, not a silent no-op in someone's editor.
const ajv = new Ajv2020({ strict: true, allErrors: true });
const validate = ajv.compile(read_json(join(scenarios_dir, "scenario.schema.json")));

// Ajv's instancePath (/stages/3/question) in the C++ validator's spelling
// (stages[3].question). For a missing or unknown field, Ajv names the object
// and the field separately; the C++ path names the field itself.
function cpp_path(error) {
  let path = "";
  for (const segment of error.instancePath.split("/").slice(1)) {
    const key = segment.replaceAll("~1", "/").replaceAll("~0", "~");
    path += /^\d+$/.test(key) ? `[${key}]` : path === "" ? key : `.${key}`;
  }
  const field =
    error.params.missingProperty ?? error.params.additionalProperty ?? error.params.unevaluatedProperty;
  if (field !== undefined) path += path === "" ? field : `.${field}`;
  return path;
}

// Errors that only restate a failure reported inside them ("must match
// \"then\" schema", "must match a schema in anyOf").
const wrappers = new Set(["if", "anyOf", "oneOf", "allOf"]);

const explain = (errors) =>
  (errors ?? []).map((e) => `  ${cpp_path(e) || "(file)"}: ${e.message}`).join("\n");

function assert_accepted(path) {
  const ok = validate(read_json(path));
  assert.ok(ok, `${path} should be accepted, but:\n${explain(validate.errors)}`);
}

test("the schema is a draft 2020-12 schema", () => {
  const schema = read_json(join(scenarios_dir, "scenario.schema.json"));
  assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
});

const bundled = json_files(scenarios_dir).filter((f) => !f.endsWith(".schema.json"));

test("there are bundled scenarios to check", () => {
  assert.ok(bundled.length >= 7, `only ${bundled.length} scenarios in ${scenarios_dir}`);
});

for (const file of bundled) {
  test(`scenarios/${file} is accepted`, () => assert_accepted(join(scenarios_dir, file)));

  test(`scenarios/${file} has the id of its file name`, () => {
    assert.equal(read_json(join(scenarios_dir, file)).id, file.replace(/\.json$/, ""));
  });
}

for (const file of json_files(valid_dir)) {
  test(`valid fixture ${file} is accepted`, () => assert_accepted(join(valid_dir, file)));
}

const manifest = read_json(join(invalid_dir, manifest_name));

test("the manifest lists exactly the invalid fixtures", () => {
  const on_disk = json_files(invalid_dir).filter((f) => f !== manifest_name);
  assert.deepEqual(Object.keys(manifest).sort(), on_disk);
});

for (const [file, entry] of Object.entries(manifest)) {
  test(`invalid fixture ${file}: manifest entry is well formed`, () => {
    assert.deepEqual(Object.keys(entry).sort(), ["path", "rule", "schema"]);
    assert.ok(entry.schema === "reject" || entry.schema === "accept", `schema: ${entry.schema}`);
    assert.equal(typeof entry.path, "string");
    assert.match(entry.path, /^(|[a-z_][a-z0-9_]*(\[\d+\]|\.[a-z_][a-z0-9_]*)*)$/);
    assert.ok(entry.rule.trim().length > 0, "rule is empty");
  });

  const path = join(invalid_dir, file);
  const text = readFileSync(path, "utf8");
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    // Only a file whose rule is its syntax may fail to parse; the schema
    // cannot judge it, so the manifest must say "reject" with a whole-file path.
    test(`invalid fixture ${file} is not JSON`, () => {
      assert.throws(() => JSON.parse(text), SyntaxError);
      assert.equal(entry.schema, "reject");
      assert.equal(entry.path, "");
    });
    continue;
  }

  if (entry.schema === "reject") {
    test(`invalid fixture ${file} is refused at ${entry.path || "(file)"}`, () => {
      assert.equal(validate(doc), false, `${file} was accepted; manifest says: ${entry.rule}`);
      // One broken rule per fixture: every error that is not a mere wrapper
      // must sit at the path the manifest promises.
      const paths = new Set(validate.errors.filter((e) => !wrappers.has(e.keyword)).map(cpp_path));
      assert.deepEqual(
        [...paths],
        [entry.path],
        `${file}: expected errors at ${entry.path} only; the schema reported:\n${explain(validate.errors)}`,
      );
    });
  } else {
    test(`invalid fixture ${file} is accepted by the schema (left to the C++ validator)`, () => {
      assert_accepted(path);
    });
  }
}
