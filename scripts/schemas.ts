import { spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT } from "./paths.ts";

/**
 * The JSON Schemas of the files a user writes (a profile, a venue), generated from the very
 * TypeScript types the code uses, so a file's rules and the code's cannot drift apart: doc
 * comments become descriptions, `@minimum`/`@asType integer`/`@pattern` tags become rules, and
 * every object refuses unknown fields. `stampede schemas` writes them; test/unit/schemas.test.ts
 * regenerates them in memory and fails when a committed file differs.
 */

export interface SchemaEntry {
  /** Where the schema is committed, from the repository root. */
  file: string;
  /** The module that declares the type, from the repository root. */
  source: string;
  /** The exported type the schema describes. */
  type: string;
}

/** Every generated schema; one entry per file a user can write. */
export const SCHEMAS: readonly SchemaEntry[] = [
  { file: "docs/schemas/profile.schema.json", source: "loadtests/profiles/types.ts", type: "Profile" },
  { file: "docs/schemas/venue.schema.json", source: "mock-exchange/venueFile.ts", type: "VenueFile" },
];

/**
 * One schema as its committed text. The generator is a development dependency and takes seconds
 * (it type-checks the source), so it is loaded here only, never by a drill: files are checked
 * against the committed schema.
 */
export async function generateSchema(entry: SchemaEntry): Promise<string> {
  const { createGenerator } = await import("ts-json-schema-generator");
  const schema = createGenerator({
    path: join(ROOT, entry.source),
    tsconfig: join(ROOT, "tsconfig.json"),
    type: entry.type,
    // Unknown fields are mistakes (a misspelt `durationS` would silently fall back to nothing).
    additionalProperties: false,
    jsDoc: "extended",
    sortProps: false,
    skipTypeCheck: false,
    discriminatorType: "json-schema",
  }).createSchema(entry.type);
  return formatJson(JSON.stringify(schema, null, 2), entry.file);
}

/**
 * The repository's formatter (Biome, a development dependency like the generator) lays the text
 * out, so the committed file passes `biome check` as written and regenerating it changes nothing.
 */
function formatJson(text: string, file: string): string {
  const biome = join(ROOT, "node_modules", ".bin", "biome");
  const out = spawnSync(biome, ["format", `--stdin-file-path=${file}`], {
    cwd: ROOT,
    input: text,
    encoding: "utf8",
    timeout: 30_000,
  });
  if (out.status !== 0)
    throw new Error(`biome could not format ${file}: ${out.stderr || out.error?.message}`);
  return out.stdout.endsWith("\n") ? out.stdout : `${out.stdout}\n`;
}

/** Writes every schema; returns the files written. */
export async function writeSchemas(): Promise<string[]> {
  const written: string[] = [];
  for (const entry of SCHEMAS) {
    await writeFile(join(ROOT, entry.file), await generateSchema(entry));
    written.push(entry.file);
  }
  return written;
}
