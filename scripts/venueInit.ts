import { readFileSync, writeFileSync } from "node:fs";
import { Document, isMap, isScalar, type YAMLMap } from "yaml";
import { StampedeError } from "../loadtests/vocabulary/cliErrors.ts";
import { DEFAULT_PRICE_USD_PER_INSTANCE_HOUR } from "../loadtests/vocabulary/pricing.ts";
import { DEFAULT_STRATEGY_PARAMS } from "../mock-exchange/capacity/strategies.ts";
import { EXCHANGE_DEFAULTS } from "../mock-exchange/defaults.ts";
import type { VenueFile } from "../mock-exchange/venueFile.ts";
import { VENUE_SCHEMA_PATH } from "./venue.ts";

/**
 * `stampede venue init FILE`: today's venue as a file to edit, every value from defaults.ts and
 * strategies.ts (declared there once) and every comment from the schema's descriptions, which are
 * the VenueFile type's doc comments: the file explains itself with the words the code uses.
 */

/** Today's defaults as a full venue file. */
export function defaultVenueFile(): VenueFile {
  const cap = EXCHANGE_DEFAULTS.capacity;
  // scheduledAtS is left out: without it a run derives it from its profile (300 s before the
  // first phase above normal); a fixed value here would pin every profile's schedule to it.
  const { scheduledAtS: _derived, ...strategyParams } = DEFAULT_STRATEGY_PARAMS;
  return {
    description: "stampede's demo venue (mock-exchange/defaults.ts); edit it to describe yours",
    capacity: {
      strategy: cap.strategy,
      strategyParams: structuredClone(strategyParams),
      tiers: structuredClone(cap.tiers),
      sequencerOrdersPerS: cap.sequencerOrdersPerS,
      serviceTimeMs: { ...cap.serviceTimeMs },
      serviceTimeMinMs: { ...cap.serviceTimeMinMs },
      queueTimeoutMs: cap.queueTimeoutMs,
      maxQueue: cap.maxQueue,
    },
    replica: { ...EXCHANGE_DEFAULTS.replica },
    limits: { ...EXCHANGE_DEFAULTS.limits },
    pricing: { usdPerInstanceHour: { ...DEFAULT_PRICE_USD_PER_INSTANCE_HOUR } },
  };
}

interface SchemaNode {
  $ref?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
}

function deref(node: SchemaNode, defs: Record<string, SchemaNode>): SchemaNode {
  if (node.$ref === undefined) return node;
  const target = defs[node.$ref.replace("#/definitions/", "")] ?? {};
  // A property's own description outranks its type's.
  return { ...target, ...(node.description === undefined ? {} : { description: node.description }) };
}

/** Wraps a description into comment lines of at most ~96 characters. */
function commentLines(text: string): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line !== "" && line.length + word.length + 1 > 96) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines.map((l) => ` ${l}`).join("\n");
}

/** Puts each key's schema description above it, recursively. */
function annotate(map: YAMLMap, schema: SchemaNode, defs: Record<string, SchemaNode>): void {
  for (const pair of map.items) {
    if (!isScalar(pair.key)) continue;
    const prop = schema.properties?.[String(pair.key.value)];
    if (prop === undefined) continue;
    const resolved = deref(prop, defs);
    if (resolved.description !== undefined) pair.key.commentBefore = commentLines(resolved.description);
    if (isMap(pair.value)) annotate(pair.value, resolved, defs);
  }
}

/** A venue file as commented YAML. */
export function venueYaml(venue: VenueFile, header: string): string {
  const schema = JSON.parse(readFileSync(VENUE_SCHEMA_PATH, "utf8")) as {
    definitions: Record<string, SchemaNode>;
  };
  const defs = schema.definitions;
  const doc = new Document(venue);
  if (isMap(doc.contents)) annotate(doc.contents, defs.VenueFile ?? {}, defs);
  doc.commentBefore = commentLines(header);
  return doc.toString({ lineWidth: 0 });
}

/** Writes `text` to `path`; an existing file is refused (E_FILE_EXISTS, exit 2) unless `force`. */
export function writeNewFile(path: string, text: string, force: boolean): void {
  try {
    writeFileSync(path, text, { flag: force ? "w" : "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST")
      throw new StampedeError("E_FILE_EXISTS", `${path} exists; add --force to overwrite it`);
    throw new StampedeError("E_USAGE", `cannot write ${path}: ${(err as Error).message}`);
  }
}

/** `stampede venue init FILE [--force]`. */
export function venueInit(path: string, force: boolean): void {
  writeNewFile(
    path,
    venueYaml(
      defaultVenueFile(),
      "stampede venue file: the system under test (docs/schemas/venue.schema.json). Use it with --venue " +
        "on drill, simulate, compare and serve. A field left out keeps stampede's default.",
    ),
    force,
  );
}
