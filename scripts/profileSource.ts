import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { parseDocument } from "yaml";
import { validateProfile } from "../loadtests/lib/plan.ts";
import { PROFILES } from "../loadtests/profiles/index.ts";
import type { Profile } from "../loadtests/profiles/types.ts";
import { StampedeError } from "./errors.ts";
import { ROOT } from "./paths.ts";

/**
 * `--profile NAME|FILE`: the one place a profile argument becomes a validated `Profile`. A name
 * is looked up in the library (loadtests/profiles/index.ts); a path (a value with a `/`, or
 * ending .yaml, .yml or .json) is read as YAML or JSON and checked in two passes, every problem
 * reported at once: the JSON Schema generated from the `Profile` type (docs/schemas/, written
 * by `stampede schemas`), then, once the shape is right, the same semantic rules a built-in
 * profile obeys (validateProfile). Every problem names its field as `phases[2].durationS`.
 */

/** Where a run's profile came from, recorded in run.json so the run can be reproduced. */
export type ProfileSource =
  | { kind: "builtin"; name: string }
  | { kind: "file" /** Absolute path. */; path: string /** Of the file's bytes, hex. */; sha256: string };

export interface ResolvedProfile {
  profile: Profile;
  source: ProfileSource;
}

export interface ResolveOptions {
  /** The venue's symbols, when the profile will run against one (market events must name them). */
  venueSymbols?: readonly string[] | undefined;
}

export const PROFILE_SCHEMA_FILE = "docs/schemas/profile.schema.json";

/** What `--profile` accepts, for the options' help. */
export const PROFILE_OPTION_HELP = `Profile: a name (${Object.keys(PROFILES).join(", ")}) or a YAML/JSON file (stampede profile show NAME writes one to start from)`;

/** A value is a file when it could not be a profile's name: names are lower-case words joined by -. */
export function isProfileFile(spec: string): boolean {
  return /[/\\]/.test(spec) || /\.(ya?ml|json)$/i.test(spec);
}

export function resolveProfile(spec: string, opts: ResolveOptions = {}): ResolvedProfile {
  if (!isProfileFile(spec)) return builtinProfile(spec, opts);
  const path = resolve(spec);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new StampedeError(
      "E_UNKNOWN_PROFILE",
      `cannot read profile file ${spec}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const profile = parseProfileText(bytes.toString("utf8"), {
    label: spec,
    format: extname(path).toLowerCase() === ".json" ? "json" : "yaml",
    venueSymbols: opts.venueSymbols,
  });
  return {
    profile,
    source: { kind: "file", path, sha256: createHash("sha256").update(bytes).digest("hex") },
  };
}

function builtinProfile(name: string, opts: ResolveOptions): ResolvedProfile {
  const profile = PROFILES[name];
  if (profile === undefined)
    throw new StampedeError(
      "E_UNKNOWN_PROFILE",
      `unknown profile "${name}"; known: ${Object.keys(PROFILES).join(", ")}, or a path to a YAML/JSON file`,
    );
  const problems = validateProfile(profile, opts.venueSymbols);
  if (problems.length > 0)
    throw new StampedeError("E_BAD_PROFILE", `profile ${profile.name} is invalid: ${problems.join("; ")}`);
  return { profile, source: { kind: "builtin", name } };
}

export interface ParseOptions extends ResolveOptions {
  /** How the text is named in messages (the path as given). */
  label: string;
  /** JSON is parsed strictly; YAML (a superset of JSON) otherwise. */
  format: "yaml" | "json";
}

/** A profile file's text to a validated `Profile`, or E_BAD_PROFILE listing every problem. */
export function parseProfileText(text: string, opts: ParseOptions): Profile {
  const value = parseText(text, opts);
  const problems = profileProblems(value, opts.venueSymbols);
  if (problems.length > 0) throw badProfile(opts.label, problems);
  return value as Profile;
}

/** Every problem with a parsed value as a profile: its shape first, then its meaning. */
export function profileProblems(value: unknown, venueSymbols?: readonly string[]): string[] {
  const validate = schemaValidator();
  if (!validate(value)) return schemaProblems(validate.errors ?? []);
  // The semantic rules assume the shape the schema has just vouched for.
  return validateProfile(value as Profile, venueSymbols);
}

function badProfile(label: string, problems: readonly string[]): StampedeError {
  const n = problems.length;
  return new StampedeError(
    "E_BAD_PROFILE",
    `profile file ${label} is invalid (${n} problem${n === 1 ? "" : "s"}):\n  ${problems.join("\n  ")}\n`,
  );
}

function parseText(text: string, opts: ParseOptions): unknown {
  if (text.trim() === "") throw badProfile(opts.label, ["the file is empty"]);
  if (opts.format === "json") {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw badProfile(opts.label, [`not valid JSON: ${(err as Error).message}`]);
    }
  }
  // YAML 1.2 core schema: no dates, no yes/no booleans; a duplicated key is an error.
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0)
    throw badProfile(
      opts.label,
      doc.errors.map((e) => `not valid YAML: ${(e.message.split("\n")[0] ?? "").replace(/:$/, "")}`),
    );
  const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (value === null || value === undefined) throw badProfile(opts.label, ["the file is empty"]);
  return value;
}

let compiled: ValidateFunction | undefined;

/** The committed schema, compiled once per process (a drill resolves its profile once). */
function schemaValidator(): ValidateFunction {
  if (compiled !== undefined) return compiled;
  const schema = JSON.parse(readFileSync(join(ROOT, PROFILE_SCHEMA_FILE), "utf8")) as object;
  // verbose: errors carry the offending value and the schema around it, for the messages.
  compiled = new Ajv({ allErrors: true, verbose: true, strict: false }).compile(schema);
  return compiled;
}

/** `/phases/2/durationS` -> `phases[2].durationS`; the document itself is `(top level)`. */
export function fieldPath(pointer: string, child?: string): string {
  const parts = pointer === "" ? [] : pointer.slice(1).split("/");
  if (child !== undefined) parts.push(child);
  let out = "";
  for (const raw of parts) {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(part)) out += out === "" ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out === "" ? "(top level)" : out;
}

function shown(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** Ajv's errors as one line each, naming the field and the rule. */
export function schemaProblems(errors: readonly ErrorObject[]): string[] {
  const out: string[] = [];
  for (const e of errors) {
    const p = e.params as Record<string, unknown>;
    switch (e.keyword) {
      // A discriminated union's `if` only says which branch failed; that branch's own errors follow.
      case "if":
        continue;
      case "additionalProperties": {
        const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
        out.push(
          `${fieldPath(e.instancePath, String(p.additionalProperty))}: unknown field${known.length > 0 ? `; known: ${known.join(", ")}` : ""}`,
        );
        continue;
      }
      case "required":
        out.push(`${fieldPath(e.instancePath, String(p.missingProperty))}: required field missing`);
        continue;
      case "enum":
        out.push(
          `${fieldPath(e.instancePath)}: must be one of ${(p.allowedValues as unknown[]).map(shown).join(", ")}, got ${shown(e.data)}`,
        );
        continue;
      default:
        out.push(
          `${fieldPath(e.instancePath)}: ${e.message ?? e.keyword} (${e.keyword}), got ${shown(e.data)}`,
        );
    }
  }
  return [...new Set(out)];
}
