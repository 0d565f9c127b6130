import { describe, expect, it } from "vitest";
import type { CapacityEvent } from "../../loadtests/vocabulary/capacity.ts";
import { scaleOutLags } from "../../reports/scalingLag.ts";

/** One timeline line per 60 natural seconds (time scale 60), gateway utilisation as given. */
function timeline(utilisation: number[], events: Record<number, CapacityEvent[]> = {}) {
  return utilisation.map((u, i) => ({
    tNaturalS: (i + 1) * 60,
    tiers: {
      gateway: { ready: 3, booting: 0, workers: 3, utilisation: u, queueDepth: 0 },
      read: { ready: 2, booting: 0, workers: 2, utilisation: 0.1, queueDepth: 0 },
    },
    events: events[i] ?? [],
  }));
}

const out = (
  atS: number,
  detail = "demand 1.20 > target 0.6 for 3 datapoints: launched 5",
): CapacityEvent => ({
  atS,
  kind: "scale-out",
  tier: "gateway",
  instances: 8,
  detail,
});
const ready = (atS: number, tier: "gateway" | "read" = "gateway"): CapacityEvent => ({
  atS,
  kind: "instances-ready",
  tier,
  instances: 8,
  detail: "5 launched instances ready",
});

describe("scaleOutLags", () => {
  it("measures from the first second at or above target before the decision to ready", () => {
    // Seconds cover (0,60], (60,120], ...: above target from the 4th (180 s) on; decided at 360 s.
    const tl = timeline([0.2, 0.3, 0.5, 0.9, 1, 1, 1, 1, 1, 1, 0.7, 0.5], { 5: [out(360)], 9: [ready(570)] });
    expect(scaleOutLags(tl)).toEqual([
      {
        tier: "gateway",
        target: 0.6,
        demandCrossedAtNaturalS: 180,
        decidedAtNaturalS: 360,
        readyAtNaturalS: 570,
        lagMinutes: 6.5,
      },
    ]);
  });

  it("restarts the stretch when demand dips under the target before the decision", () => {
    const tl = timeline([0.9, 0.9, 0.4, 0.8, 0.8, 0.8, 0.8], { 5: [out(300)], 6: [ready(420)] });
    expect(scaleOutLags(tl)[0]?.demandCrossedAtNaturalS).toBe(180);
    expect(scaleOutLags(tl)[0]?.lagMinutes).toBe(4);
  });

  it("pairs each decision with the next ready event of its own tier", () => {
    const tl = timeline([0.9, 0.9, 0.9, 0.9, 0.9, 0.9], {
      1: [out(120)],
      3: [ready(200, "read"), ready(240)],
    });
    expect(scaleOutLags(tl)[0]?.readyAtNaturalS).toBe(240);
  });

  it("leaves unknowns null: no ready before the end, no target in the detail", () => {
    const tl = timeline([0.9, 0.9, 0.9], { 1: [out(120)], 2: [out(180, "scheduled: launched 4")] });
    const lags = scaleOutLags(tl);
    expect(lags).toHaveLength(2);
    expect(lags[0]).toMatchObject({ demandCrossedAtNaturalS: 0, readyAtNaturalS: null, lagMinutes: null });
    expect(lags[1]).toMatchObject({ target: null, demandCrossedAtNaturalS: null, lagMinutes: null });
  });

  it("is empty for a timeline without scale-outs", () => {
    expect(scaleOutLags(timeline([0.1, 0.2]))).toEqual([]);
    expect(scaleOutLags([])).toEqual([]);
  });
});
