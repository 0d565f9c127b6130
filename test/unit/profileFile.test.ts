import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PROFILES } from "../../loadtests/profiles/index.ts";
import { StampedeError } from "../../loadtests/vocabulary/cliErrors.ts";
import { profileYaml } from "../../scripts/cliProfile.ts";
import { VENUE_SYMBOL_NAMES } from "../../scripts/exchangeConfig.ts";
import { ROOT } from "../../scripts/paths.ts";
import { isProfileFile, parseProfileText, resolveProfile } from "../../scripts/profileSource.ts";

/**
 * Profiles from files (scripts/profileSource.ts): every kind of mistake is exit 2 with a message
 * that names the field, and a built-in profile written by `profile show` reads back as itself.
 */

const GOOD = `name: mine
description: my crash
normalRatePerS: { order: 6, position: 10, depth: 4 }
clients: 100
defaultTimeScale: 60
phases:
  - { name: normal, durationS: 600, from: 1, to: 1 }
  - { name: burst, durationS: 300, from: 1, to: 100, byClass: { position: { from: 1, to: 1000 } } }
  - { name: after, durationS: 600, from: 1, to: 1 }
faults:
  - { kind: zone-outage, atS: 700, durationS: 120, fraction: 0.5 }
marketEvents:
  - { atS: 650, symbol: BTCUSDT, movePct: -12, overS: 300 }
behaviours:
  position: { patient-checker: 0.75, panicked-checker: 0.25 }
watchers:
  liquidationStream: { normalPerS: 0.1, holdS: 600 }
`;

/** GOOD with one line replaced (by its leading text) or, for whole-file cases, the text itself. */
function variant(from: string, to: string): string {
  expect(GOOD.includes(from), from).toBe(true);
  return GOOD.replace(from, to);
}

function problemOf(text: string, format: "yaml" | "json" = "yaml"): StampedeError {
  try {
    parseProfileText(text, { label: "mine.yaml", format, venueSymbols: VENUE_SYMBOL_NAMES });
  } catch (err) {
    expect(err).toBeInstanceOf(StampedeError);
    return err as StampedeError;
  }
  throw new Error("the profile was accepted");
}

// [kind of mistake, file text, what the message must say (the field, and the rule)]
const MISTAKES: Array<[string, string, RegExp]> = [
  ["wrong type", variant("clients: 100", 'clients: "many"'), /clients: must be integer/],
  ["not an integer", variant("clients: 100", "clients: 2.5"), /clients: must be integer/],
  ["missing field", variant("defaultTimeScale: 60\n", ""), /defaultTimeScale: required field missing/],
  ["missing class rate", variant("depth: 4 }", "}"), /normalRatePerS\.depth: required field missing/],
  ["negative duration", variant("durationS: 300", "durationS: -300"), /phases\[1\]\.durationS: must be > 0/],
  [
    "zero time scale",
    variant("defaultTimeScale: 60", "defaultTimeScale: 0"),
    /defaultTimeScale: must be > 0/,
  ],
  [
    "negative multiple",
    variant("from: 1, to: 100,", "from: -1, to: 100,"),
    /phases\[1\]\.from: must be >= 0/,
  ],
  ["negative rate", variant("order: 6", "order: -6"), /normalRatePerS\.order: must be >= 0/],
  ["unknown class", variant("order: 6,", "order: 6, account: 2,"), /normalRatePerS\.account: unknown field/],
  [
    "unknown class in byClass",
    variant("{ position: { from: 1", "{ account: { from: 1"),
    /phases\[1\]\.byClass\.account: unknown field/,
  ],
  [
    "unknown phase key",
    variant("{ name: normal,", "{ name: normal, length: 5,"),
    /phases\[0\]\.length: unknown field; known: name, durationS/,
  ],
  ["unknown top-level key", `${GOOD}colour: red\n`, /colour: unknown field/],
  ["no phases", variant("phases:", "phases: []\nunused:"), /phases: must NOT have fewer than 1 items/],
  ["bad name", variant("name: mine", "name: My Crash"), /name: must match pattern/],
  [
    "bad behaviour name",
    variant("patient-checker: 0.75", "patient-chekker: 0.75"),
    /behaviours\.position\["patient-chekker"\]: unknown field/,
  ],
  [
    "behaviour of another class",
    variant("position: { patient-checker", "order: { patient-checker"),
    /behaviours\.order: "patient-checker" is a position behaviour/,
  ],
  [
    "mix summing to 0",
    variant("patient-checker: 0.75, panicked-checker: 0.25", "patient-checker: 0, panicked-checker: 0"),
    /behaviours\.position: weights must sum to more than 0/,
  ],
  [
    "negative behaviour weight",
    variant("panicked-checker: 0.25", "panicked-checker: -0.25"),
    /behaviours\.position\["panicked-checker"\]: must be >= 0/,
  ],
  [
    "bad fault kind",
    variant("kind: zone-outage", "kind: meteor"),
    /faults\[0\]\.kind: must be one of "zone-outage"/,
  ],
  ["fault out of range", variant("fraction: 0.5", "fraction: 1.5"), /faults\[0\]\.fraction: must be <= 1/],
  [
    "fault missing its field",
    variant("durationS: 120, fraction: 0.5", "durationS: 120"),
    /faults\[0\]\.fraction: required field missing/,
  ],
  [
    "fault after the end",
    variant("atS: 700, durationS: 120", "atS: 9000, durationS: 120"),
    /faults\[0\]: atS must be within the profile/,
  ],
  [
    "market event unknown symbol",
    variant("symbol: BTCUSDT", "symbol: DOGEUSDT"),
    /marketEvents\[0\]: unknown symbol "DOGEUSDT"/,
  ],
  [
    "market event move too large",
    variant("movePct: -12", "movePct: -95"),
    /marketEvents\[0\]\.movePct: must be > -90/,
  ],
  [
    "market event of 0%",
    variant("movePct: -12", "movePct: 0"),
    /marketEvents\[0\]: movePct must be a non-zero/,
  ],
  ["bad watcher", variant("holdS: 600", "holdS: 0"), /watchers\.liquidationStream\.holdS: must be > 0/],
  ["bad YAML syntax", variant("clients: 100", "clients: [100"), /not valid YAML/],
  ["duplicate key", `${GOOD}clients: 5\n`, /not valid YAML: Map keys must be unique/],
  ["empty file", "", /the file is empty/],
  ["only comments", "# nothing yet\n", /the file is empty/],
  ["array at top level", "- name: mine\n", /\(top level\): must be object/],
  ["a scalar at top level", "smoke\n", /\(top level\): must be object/],
];

describe("a profile file with a mistake", () => {
  it("the good file is accepted, so each mistake below is the only one", () => {
    const p = parseProfileText(GOOD, {
      label: "mine.yaml",
      format: "yaml",
      venueSymbols: VENUE_SYMBOL_NAMES,
    });
    expect(p.phases.map((x) => x.name)).toEqual(["normal", "burst", "after"]);
    expect(MISTAKES.length).toBeGreaterThanOrEqual(20);
  });

  it.each(MISTAKES)("%s: exit 2, E_BAD_PROFILE, the message names the field", (_kind, text, says) => {
    const err = problemOf(text);
    expect(err.code).toBe("E_BAD_PROFILE");
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(says);
  });

  it("reports every problem at once, each on its own line", () => {
    const text = variant("clients: 100", "clients: -1").replace("durationS: 300", "durationS: 0");
    const err = problemOf(text);
    expect(err.message).toMatch(/\(2 problems\)/);
    expect(err.message).toMatch(/\n {2}clients: must be >= 1/);
    expect(err.message).toMatch(/\n {2}phases\[1\]\.durationS: must be > 0/);
  });

  it("JSON is parsed strictly, and checked by the same rules", () => {
    expect(problemOf("{ name: 1 }", "json").message).toMatch(/not valid JSON/);
    const json = JSON.stringify({ ...(PROFILES.smoke as object), clients: 0 });
    expect(problemOf(json, "json").message).toMatch(/clients: must be >= 1/);
  });
});

describe("resolveProfile", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "stampede-profile-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("tells a name from a file", () => {
    expect(isProfileFile("smoke")).toBe(false);
    expect(isProfileFile("flash-crash-100x")).toBe(false);
    expect(isProfileFile("./smoke")).toBe(true);
    expect(isProfileFile("mine.yaml")).toBe(true);
    expect(isProfileFile("mine.YML")).toBe(true);
    expect(isProfileFile("mine.json")).toBe(true);
  });

  it("a name is the built-in; an unknown name or a missing file is E_UNKNOWN_PROFILE", () => {
    const r = resolveProfile("smoke");
    expect(r.profile).toBe(PROFILES.smoke);
    expect(r.source).toEqual({ kind: "builtin", name: "smoke" });
    expect(() => resolveProfile("nope")).toThrow(expect.objectContaining({ code: "E_UNKNOWN_PROFILE" }));
    expect(() => resolveProfile(join(dir, "missing.yaml"))).toThrow(
      expect.objectContaining({ code: "E_UNKNOWN_PROFILE", exitCode: 2 }),
    );
  });

  it.each(Object.keys(PROFILES))(
    "profile show %s reads back as the built-in, with the file's sha256",
    async (name) => {
      const file = join(dir, `${name}.yaml`);
      const text = profileYaml(name);
      await writeFile(file, text);
      const r = resolveProfile(file, { venueSymbols: VENUE_SYMBOL_NAMES });
      expect(r.profile).toStrictEqual(JSON.parse(JSON.stringify(PROFILES[name])));
      expect(r.source.kind).toBe("file");
      if (r.source.kind === "file") {
        expect(r.source.path).toBe(file);
        expect(r.source.sha256).toMatch(/^[0-9a-f]{64}$/);
      }
      // The header names the schema for editors; the YAML itself is plain.
      expect(text).toMatch(/# yaml-language-server: \$schema=file:\/\/.*profile\.schema\.json/);
      expect(parse(text)).toStrictEqual(r.profile);
    },
  );
});

describe("stampede profile validate (the CLI)", () => {
  const run = promisify(execFile);
  const cli = (args: string[]) =>
    run(process.execPath, [join(ROOT, "bin", "stampede.js"), ...args], {
      cwd: tmpdir(),
      timeout: 20_000,
    }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({
        code: e.code,
        stdout: e.stdout,
        stderr: e.stderr,
      }),
    );
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "stampede-profile-cli-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("exit 0 with one OK line for a good file, exit 2 with every problem for a bad one", async () => {
    const good = join(dir, "good.yaml");
    await writeFile(good, GOOD);
    const ok = await cli(["profile", "validate", good]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(
      /^OK .*good\.yaml: profile "mine", 3 phases \(normal, burst, after\), 1500 natural s/,
    );
    const bad = join(dir, "bad.yaml");
    await writeFile(bad, variant("durationS: 300", "durationS: -300").replace("clients: 100", "clients: 0"));
    const no = await cli(["profile", "validate", bad]);
    expect(no.code).toBe(2);
    expect(no.stderr).toMatch(/\[E_BAD_PROFILE\]/);
    expect(no.stderr).toMatch(/phases\[1\]\.durationS/);
    expect(no.stderr).toMatch(/clients/);
  }, 60_000);
});
