import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject } from "ajv";
import { parse as parseYaml } from "yaml";
import { StampedeError } from "../loadtests/vocabulary/cliErrors.ts";
import { resolveStrategy } from "../mock-exchange/capacity/strategies.ts";
import { EXCHANGE_DEFAULTS, type ExchangeConfig, type ServiceClass } from "../mock-exchange/defaults.ts";
import { applyVenueFile, type VenueFile } from "../mock-exchange/venueFile.ts";

/**
 * `--venue FILE`: read once at the CLI's edge, validated twice (the generated JSON Schema with
 * every error, then the rules a schema cannot say, on the config the file makes), and recorded in
 * run.json by path and sha256 so a run names the exact venue it met.
 */

export interface LoadedVenue {
  /** Absolute path of the file. */
  path: string;
  /** sha256 of the file's bytes, hex. */
  sha256: string;
  file: VenueFile;
}

/** What run.json records of the venue a run met. */
export interface VenueSource {
  path: string;
  sha256: string;
}

export function venueSource(venue: LoadedVenue | undefined): VenueSource | null {
  return venue === undefined ? null : { path: venue.path, sha256: venue.sha256 };
}

/** The generated schema (`npm run schemas` writes it from the VenueFile type, scripts/schemas.ts). */
export const VENUE_SCHEMA_PATH = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "docs",
  "schemas",
  "venue.schema.json",
);

let validator: ReturnType<Ajv["compile"]> | undefined;

function validate(data: unknown): ErrorObject[] {
  if (validator === undefined) {
    const schema = JSON.parse(readFileSync(VENUE_SCHEMA_PATH, "utf8")) as object;
    validator = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }
  return validator(data) ? [] : [...(validator.errors ?? [])];
}

/** `/capacity/tiers/gateway` -> `capacity.tiers.gateway`; the root is `(file)`. */
function fieldName(instancePath: string, extra?: string): string {
  const parts = instancePath
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (extra !== undefined) parts.push(extra);
  return parts.length === 0 ? "(file)" : parts.join(".");
}

/** One line per schema error: the field, what is wrong, and the rule (`minimum`, `type`, ...). */
export function schemaProblems(errors: readonly ErrorObject[]): string[] {
  const lines = new Set<string>();
  for (const e of errors) {
    if (e.keyword === "additionalProperties") {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      lines.add(`${fieldName(e.instancePath, extra)}: unknown field (rule additionalProperties)`);
    } else if (e.keyword === "anyOf") {
      // Its branches were reported one by one above (e.g. `number` and `null`).
      lines.add(`${fieldName(e.instancePath)}: must match one of the allowed forms (rule anyOf)`);
    } else {
      lines.add(`${fieldName(e.instancePath)}: ${e.message ?? "is invalid"} (rule ${e.keyword})`);
    }
  }
  return [...lines];
}

/** The rules between fields, checked on the config the file makes. */
export function semanticProblems(file: VenueFile, config: ExchangeConfig): string[] {
  const problems: string[] = [];
  const cap = config.capacity;
  for (const cls of Object.keys(cap.serviceTimeMs) as ServiceClass[]) {
    const mean = cap.serviceTimeMs[cls];
    const min = cap.serviceTimeMinMs[cls];
    if (!(mean > 0)) problems.push(`capacity.serviceTimeMs.${cls}: must be > 0 (rule positive)`);
    if (!(min >= 0)) problems.push(`capacity.serviceTimeMinMs.${cls}: must be >= 0 (rule non-negative)`);
    else if (min > mean)
      problems.push(
        `capacity.serviceTimeMinMs.${cls}: ${min} ms exceeds the mean capacity.serviceTimeMs.${cls} ${mean} ms (rule minimum <= mean)`,
      );
  }
  const l = config.limits;
  if (l.banBaseMs > l.banMaxMs)
    problems.push(
      `limits.banBaseMs: ${l.banBaseMs} exceeds limits.banMaxMs ${l.banMaxMs} (rule base <= max)`,
    );
  if (l.ordersPer10s > l.ordersPerMinute)
    problems.push(
      `limits.ordersPer10s: ${l.ordersPer10s} exceeds limits.ordersPerMinute ${l.ordersPerMinute} (rule 10 s <= minute)`,
    );
  if (l.minWindowWeight > l.weightPerMinute)
    problems.push(
      `limits.minWindowWeight: ${l.minWindowWeight} exceeds limits.weightPerMinute ${l.weightPerMinute} (rule floor <= budget)`,
    );
  if (l.minWindowOrders > l.ordersPer10s)
    problems.push(
      `limits.minWindowOrders: ${l.minWindowOrders} exceeds limits.ordersPer10s ${l.ordersPer10s} (rule floor <= budget)`,
    );
  for (const [tier, price] of Object.entries(file.pricing?.usdPerInstanceHour ?? {}))
    if (!(typeof price === "number" && price >= 0))
      problems.push(`pricing.usdPerInstanceHour.${tier}: must be a number >= 0 (rule non-negative)`);
  try {
    resolveStrategy(cap.strategy, cap.tiers, cap.strategyParams);
  } catch (err) {
    // resolveStrategy names the parameter (`reactive.warmupS`) or the known strategies.
    const where = (err as Error).message.startsWith("strategy parameter")
      ? "capacity.strategyParams"
      : "capacity.strategy";
    problems.push(`${where}: ${(err as Error).message} (rule strategy)`);
  }
  return problems;
}

/** Parses and validates a venue file's text; `source` names it in messages. */
export function parseVenue(text: string, source: string, json = false): VenueFile {
  let data: unknown;
  try {
    data = json ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new StampedeError(
      "E_BAD_VENUE",
      `venue file ${source} is not ${json ? "JSON" : "YAML"}: ${(err as Error).message}`,
    );
  }
  // An empty file is an empty venue: every default.
  if (data === null || data === undefined) data = {};
  const problems = schemaProblems(validate(data));
  if (problems.length === 0) {
    const file = data as VenueFile;
    problems.push(...semanticProblems(file, applyVenueFile(EXCHANGE_DEFAULTS, file)));
  }
  if (problems.length > 0)
    throw new StampedeError("E_BAD_VENUE", `venue file ${source} is invalid: ${problems.join("; ")}`);
  return data as VenueFile;
}

/** Reads `--venue FILE` (YAML, or JSON by its `.json` extension); E_BAD_VENUE (exit 2) when it is not a valid venue. */
export function loadVenue(path: string): LoadedVenue {
  const abs = resolve(path);
  let bytes: Buffer;
  try {
    bytes = readFileSync(abs);
  } catch (err) {
    throw new StampedeError("E_BAD_VENUE", `venue file ${path} cannot be read: ${(err as Error).message}`);
  }
  const file = parseVenue(bytes.toString("utf8"), path, extname(abs).toLowerCase() === ".json");
  return { path: abs, sha256: createHash("sha256").update(bytes).digest("hex"), file };
}
