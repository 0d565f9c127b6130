import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/paths.ts";
import { generateSchema, SCHEMAS } from "../../scripts/schemas.ts";

/**
 * The committed schemas (docs/schemas/) are what user files are checked against; they must be
 * what the types generate today. When this fails, run `npm run schemas` and commit the result.
 */
describe("generated schemas", () => {
  it.each(SCHEMAS.map((s) => [s.file, s] as const))(
    "%s is up to date with its type (npm run schemas)",
    async (_file, entry) => {
      const committed = await readFile(join(ROOT, entry.file), "utf8");
      expect(await generateSchema(entry)).toBe(committed);
    },
    60_000,
  );
});
