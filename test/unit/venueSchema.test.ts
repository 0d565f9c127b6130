import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VENUE_SCHEMA_PATH } from "../../scripts/venue.ts";
import { venueSchemaText } from "../../scripts/venueSchema.ts";

describe("docs/schemas/venue.schema.json", () => {
  it("is what the VenueFile type generates (run `npx tsx scripts/venueSchema.ts` after changing the type)", () => {
    // Compared as JSON: the committed file is laid out by the formatter.
    expect(JSON.parse(readFileSync(VENUE_SCHEMA_PATH, "utf8"))).toEqual(JSON.parse(venueSchemaText()));
  }, 60_000);
});
