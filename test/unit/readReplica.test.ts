import { describe, expect, it } from "vitest";
import { ReadReplica } from "../../mock-exchange/capacity/readReplica.ts";

describe("ReadReplica", () => {
  it("serves the primary's change only after the base lag", () => {
    const r = new ReadReplica({ baseLagMs: 20, applyPerS: 1_000, symbolCount: 2 });
    r.advance(0);
    r.record(7, 1, 5, 100, 0, 0);
    r.advance(10);
    expect(r.read(7, 1)).toBeUndefined();
    expect(r.isBehind(7)).toBe(true);
    r.advance(25);
    expect(r.read(7, 1)).toEqual({ amountLots: 5, entryPriceTicks: 100, updateTime: 0 });
    expect(r.isBehind(7)).toBe(false);
    expect(r.lagMs(25)).toBe(0);
  });

  it("falls behind while writes outpace the apply rate, and catches up after", () => {
    const r = new ReadReplica({ baseLagMs: 0, applyPerS: 100, symbolCount: 1 });
    r.advance(0);
    // 1 s of 300 writes/s: the replica applies ~100.
    for (let ms = 0; ms < 1_000; ms += 10) {
      for (let k = 0; k < 3; k++) r.record(1, 0, ms + k, 1, ms, ms);
      r.advance(ms);
    }
    r.advance(1_000);
    expect(r.backlog).toBeGreaterThan(180);
    expect(r.lagMs(1_000)).toBeGreaterThan(600);
    const appliedBefore = r.appliedTotal;
    r.advance(3_000);
    expect(r.backlog).toBe(0);
    expect(r.appliedTotal - appliedBefore).toBeLessThanOrEqual(201);
    expect(r.read(1, 0)?.amountLots).toBe(992); // the last write wins, in order
  });

  it("grows its log past the initial capacity without losing order", () => {
    const r = new ReadReplica({ baseLagMs: 0, applyPerS: 1_000_000, symbolCount: 1 });
    r.advance(0);
    for (let i = 0; i < 10_000; i++) r.record(i % 3, 0, i, 1, i, 0);
    r.advance(1_000);
    expect(r.backlog).toBe(0);
    expect(r.read(0, 0)?.amountLots).toBe(9_999);
    expect(r.read(2, 0)?.amountLots).toBe(9_998);
  });
});

describe("ReadReplica backlog cap", () => {
  it("applies the oldest change at once past maxBacklogChanges, so the log stays bounded", () => {
    const r = new ReadReplica({ baseLagMs: 0, applyPerS: 1, symbolCount: 1, maxBacklogChanges: 100 });
    r.advance(0);
    for (let i = 0; i < 10_000; i++) r.record(1, 0, i, 1, i, i);
    expect(r.backlog).toBe(100);
    expect(r.appliedTotal).toBe(9_900);
    // Applied in order: the replica shows the 9,900th change, the lag is that of the oldest kept.
    expect(r.read(1, 0)?.amountLots).toBe(9_899);
    expect(r.lagMs(10_000)).toBe(10_000 - 9_900);
    expect(r.isBehind(1)).toBe(true);
  });
});
