import { describe, expect, it } from "vitest";
import type { TimelinePoint } from "../../reports/model.ts";
import { costOf, eventsOf, strategyName } from "../../reports/summary.ts";

describe("summary: strategy, cost and events from run.json and the timeline", () => {
  const timeline: Array<Partial<TimelinePoint>> = [
    { tsMs: 1_000, tWallS: 1 }, // an old-style line: no capacity fields
    {
      tsMs: 2_000,
      costInstanceMinutes: { gateway: 4, read: 2 },
      events: [{ atS: 60, kind: "fault-start", detail: "zone-outage" }],
    },
    {
      tsMs: 3_000,
      costInstanceMinutes: { gateway: 8.12345, read: 4 },
      events: [
        { atS: 150, kind: "scale-out", tier: "gateway", instances: 6, detail: "a" },
        { atS: 170, kind: "failover", detail: "b" },
      ],
    },
    { tsMs: 4_000 }, // the last line may lack the cost: the last one that has it counts
  ];

  it("takes the cost from the last line that has it, with a total", () => {
    expect(costOf(timeline)).toEqual({ instanceMinutes: { gateway: 8.123, read: 4, total: 12.123 } });
    expect(costOf([])).toEqual({ instanceMinutes: { gateway: 0, read: 0, total: 0 } });
  });

  it("keeps every event in order", () => {
    expect(eventsOf(timeline).map((e) => e.kind)).toEqual(["fault-start", "scale-out", "failover"]);
    expect(eventsOf([{ events: "garbage" as never }])).toEqual([]);
  });

  it("reads the strategy as a name or {name}", () => {
    expect(strategyName({ strategy: "fixed" })).toBe("fixed");
    expect(strategyName({ strategy: { name: "reactive+priority-shedding", tiers: {} } })).toBe(
      "reactive+priority-shedding",
    );
    expect(strategyName({})).toBeNull();
    expect(strategyName(undefined)).toBeNull();
  });
});
