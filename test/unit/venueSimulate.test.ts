import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import type { CapacityEvent } from "../../loadtests/vocabulary/capacity.ts";
import { resolveProfile } from "../../scripts/profileSource.ts";
import { runSimulation } from "../../scripts/simulate/run.ts";
import { type LoadedVenue, loadVenue } from "../../scripts/venue.ts";
import { venueInit } from "../../scripts/venueInit.ts";

/**
 * The bar: `venue init`, then change the gateway's instances and the reactive warm-up,
 * and `simulate` reflects both, in its capacity events and its cost.
 */

async function simulate(outDir: string, venue: LoadedVenue | undefined) {
  const r = await runSimulation({
    profile: resolveProfile("smoke"),
    strategy: "reactive",
    scale: "drill",
    seed: 1,
    // The fluid queue: the same provisioner and capacity events, in a second rather than twenty.
    method: "aggregate",
    venue,
    outDir,
    log: () => {},
  });
  const timeline = readFileSync(join(r.runDir, "timeline.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map(
      (l) =>
        JSON.parse(l) as {
          tNaturalS: number;
          tiers: { gateway: { ready: number } };
          costInstanceMinutes: { gateway: number };
        },
    );
  const run = JSON.parse(readFileSync(join(r.runDir, "run.json"), "utf8")) as { venue: unknown };
  return { summary: r.summary, timeline, run };
}

/** Natural seconds from the gateway's first scale-out to its instances being ready. */
function gatewayReadyAfterS(events: readonly CapacityEvent[]): number {
  const out = events.find((e) => e.tier === "gateway" && e.kind === "scale-out");
  const ready = events.find(
    (e) => e.tier === "gateway" && e.kind === "instances-ready" && e.atS >= (out?.atS ?? 0),
  );
  if (out === undefined || ready === undefined) throw new Error("no gateway scale-out and ready in the run");
  return ready.atS - out.atS;
}

describe("venue init -> edit -> simulate", () => {
  it("twice the gateway's instances and a 60 s warm-up change the fleet, the scale-out's lag and the cost", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stampede-venue-bar-"));
    const path = join(dir, "venue.yaml");
    venueInit(path, false);
    const doc = parseDocument(readFileSync(path, "utf8"));
    expect(doc.getIn(["capacity", "tiers", "gateway", "baselineInstances"])).toBe(3);
    expect(doc.getIn(["capacity", "strategyParams", "reactive", "warmupS"])).toBe(180);
    doc.setIn(["capacity", "tiers", "gateway", "baselineInstances"], 6);
    doc.setIn(["capacity", "strategyParams", "reactive", "warmupS"], 60);
    writeFileSync(path, doc.toString());
    const venue = loadVenue(path);

    const mine = await simulate(join(dir, "runs"), venue);
    const demo = await simulate(join(dir, "runs"), undefined);

    // The fleet at normal load: the file's 6 gateway instances, the demo's 3.
    expect(mine.timeline[10]?.tiers.gateway.ready).toBe(6);
    expect(demo.timeline[10]?.tiers.gateway.ready).toBe(3);
    // Capacity arrives boot (30 s) + warm-up after the decision: 90 s with the file, 210 without.
    expect(gatewayReadyAfterS(mine.summary.events)).toBe(90);
    expect(gatewayReadyAfterS(demo.summary.events)).toBe(210);
    // Cost: ten natural minutes of normal load cost 6 x 10 gateway instance-minutes, not 3 x 10.
    const at600 = (t: typeof mine.timeline) =>
      t.find((s) => s.tNaturalS === 600)?.costInstanceMinutes.gateway ?? 0;
    expect(at600(mine.timeline)).toBeCloseTo(60, 0);
    expect(at600(demo.timeline)).toBeCloseTo(30, 0);
    expect(mine.summary.cost?.instanceMinutes.gateway).not.toBe(demo.summary.cost?.instanceMinutes.gateway);
    // run.json names the venue file the run met.
    expect(mine.run.venue).toEqual({ path: venue.path, sha256: venue.sha256 });
    expect(demo.run.venue).toBeNull();
  }, 120_000);
});
