import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createGenerator } from "ts-json-schema-generator";
import { VENUE_SCHEMA_PATH } from "./venue.ts";

/**
 * docs/schemas/venue.schema.json, generated from the type the code loads (mock-exchange/venueFile.ts
 * `VenueFile`), so the schema and the loader never disagree. `npx tsx scripts/venueSchema.ts` writes
 * it; test/unit/venueSchema.test.ts fails when the committed file says other than what this generates.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The schema as text (before the formatter lays it out). */
export function venueSchemaText(): string {
  const schema = createGenerator({
    path: join(ROOT, "mock-exchange", "venueFile.ts"),
    tsconfig: join(ROOT, "tsconfig.json"),
    type: "VenueFile",
    // Type-checking the whole program is `npm run typecheck`'s job; here it only costs seconds.
    skipTypeCheck: true,
    additionalProperties: false,
    sortProps: true,
  }).createSchema("VenueFile");
  return `${JSON.stringify({ ...schema, $id: "https://stampede.local/schemas/venue.schema.json", title: "stampede venue file" }, null, 2)}\n`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(VENUE_SCHEMA_PATH, venueSchemaText());
  // Committed as the repository's formatter lays JSON out, so `npm run lint` stays clean.
  execFileSync(join(ROOT, "node_modules", ".bin", "biome"), ["format", "--write", VENUE_SCHEMA_PATH], {
    stdio: "ignore",
  });
  process.stdout.write(`${VENUE_SCHEMA_PATH}\n`);
}
