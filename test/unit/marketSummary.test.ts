import { describe, expect, it } from "vitest";
import type { MarketSecond } from "../../loadtests/vocabulary/market.ts";
import type { TimelinePoint, WallPhase } from "../../loadtests/vocabulary/runFolder.ts";
import { recordLatency, rollUp, type SecondTally, secondTally } from "../../reports/ingest.ts";
import { failedStops, marketSummary, nearestRank, oracleOf } from "../../reports/market.ts";
import { buildSummary } from "../../reports/summary.ts";
import { validate } from "./summarySchema.ts";

/** A quiet market second; `over` replaces any part of it. */
function second(over: Partial<MarketSecond> = {}): MarketSecond {
  return {
    symbols: {
      BTCUSDT: {
        mark: 60_000,
        index: 60_010,
        bidDepthUsdt: 1e6,
        askDepthUsdt: 1e6,
        liquidations: 0,
        liquidatedNotionalUsdt: 0,
      },
    },
    collateral: {
      USDE: {
        spot: 0.9,
        indexTwap: 0.99,
        conversionRate: 1,
        oracle: 0.99,
        bidDepthUsdt: 5e5,
        seizedSoldUsdt: 0,
      },
    },
    insuranceFund: { openUsdt: 1000, minUsdt: 1000, closeUsdt: 1000 },
    shockNotionalUsdt: 0,
    makerRequests: 0,
    makerRequestsRefused: 0,
    makersQuoting: 2,
    makersTotal: 2,
    adlEvents: 0,
    adlNotionalUsdt: 0,
    adlAccounts: [],
    stops: { triggered: 0, filled: 0, refused: 0, late: 0, slippageBps: [] },
    ...over,
  };
}

const sym = (liquidatedNotionalUsdt: number) => ({
  mark: 1,
  index: null,
  bidDepthUsdt: 0,
  askDepthUsdt: 0,
  liquidations: 1,
  liquidatedNotionalUsdt,
});

/** Three seconds of a shock: liquidations on two symbols, ADL twice on account 7, stops filled and not. */
function shockTimeline(): Array<Partial<TimelinePoint>> {
  return [
    { tsMs: 1000, liquidations: 0, liquidationsShown: 0, market: second() },
    {
      tsMs: 2000,
      liquidations: 5,
      liquidationsShown: 2,
      market: second({
        symbols: { BTCUSDT: sym(1000.004), ETHUSDT: sym(500) },
        shockNotionalUsdt: 600,
        insuranceFund: { openUsdt: 1000, minUsdt: 400.123, closeUsdt: 700 },
        makerRequests: 50,
        makerRequestsRefused: 20,
        adlEvents: 2,
        adlNotionalUsdt: 80.5,
        adlAccounts: [7, 9],
        stops: { triggered: 4, filled: 2, refused: 3, late: 1, slippageBps: [30, 10] },
      }),
    },
    {
      tsMs: 3000,
      liquidations: 1,
      liquidationsShown: 1,
      market: second({
        symbols: { BTCUSDT: sym(300) },
        shockNotionalUsdt: 400,
        insuranceFund: { openUsdt: 700, minUsdt: 650, closeUsdt: 650.456 },
        makerRequests: 10,
        makerRequestsRefused: 1,
        adlEvents: 1,
        adlNotionalUsdt: 20,
        adlAccounts: [7],
        stops: { triggered: 1, filled: 1, refused: 0, late: 0, slippageBps: [20] },
      }),
    },
  ];
}

describe("summary.json market (reports/market.ts)", () => {
  it("sums the timeline's market seconds", () => {
    const m = marketSummary(shockTimeline(), { oracle: "index-twap" });
    expect(m).toEqual({
      oracle: "index-twap",
      liquidations: 6,
      liquidationsShown: 3,
      liquidatedNotional: 1800,
      shockNotional: 1000,
      amplification: 1.8,
      stopLosses: { triggered: 5, filled: 3, refused: 3, late: 1, slippageBps: { p50: 20, p99: 30 } },
      insuranceFund: { start: 1000, min: 400.12, end: 650.46 },
      // Account 7 was reduced in two seconds: it counts once.
      adl: { events: 3, notional: 100.5, accounts: 2 },
      makerRequests: 60,
      makerRequestsRefused: 21,
    });
    expect(failedStops(m as NonNullable<typeof m>)).toBe(3 + 1 + (5 - 3));
  });

  it("reads slippage percentiles by nearest rank over every second's values, never averaged", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(nearestRank(values, 50)).toBe(50);
    expect(nearestRank(values, 99)).toBe(99);
    expect(nearestRank([5], 99)).toBe(5);
    expect(nearestRank([], 50)).toBeNull();
    // Split over two seconds, the union decides: per-second p99s (90 and 3) would say otherwise.
    const split = [
      {
        tsMs: 1000,
        market: second({ stops: { triggered: 3, filled: 3, refused: 0, late: 0, slippageBps: [1, 2, 90] } }),
      },
      {
        tsMs: 2000,
        market: second({ stops: { triggered: 3, filled: 3, refused: 0, late: 0, slippageBps: [3, 3, 3] } }),
      },
    ];
    expect(marketSummary(split, { oracle: "internal-spot" })?.stopLosses.slippageBps).toEqual({
      p50: 3,
      p99: 90,
    });
    // No filled stop: no percentile.
    expect(
      marketSummary([{ tsMs: 1000, market: second() }], { oracle: "internal-spot" })?.stopLosses.slippageBps,
    ).toEqual({
      p50: null,
      p99: null,
    });
  });

  it("has no amplification without a shock", () => {
    const m = marketSummary([{ tsMs: 1000, market: second({ symbols: { BTCUSDT: sym(250) } }) }], {
      oracle: "conversion-rate",
    });
    expect(m?.liquidatedNotional).toBe(250);
    expect(m?.shockNotional).toBe(0);
    expect(m?.amplification).toBeNull();
  });

  it("is absent without market seconds, and skips lines without one", () => {
    const old: Array<Partial<TimelinePoint>> = [
      { tsMs: 1000, liquidations: 3, liquidationsShown: 1 },
      { tsMs: 2000 },
    ];
    expect(marketSummary(old, { oracle: null })).toBeUndefined();
    expect(marketSummary([])).toBeUndefined();
    const mixed = [{ tsMs: 500 }, ...shockTimeline()];
    expect(marketSummary(mixed, { oracle: "index-twap" })?.insuranceFund.start).toBe(1000);
  });

  it("takes the oracle from run.json, else from the price margin used", () => {
    expect(oracleOf({ oracle: "internal-spot" }, [second()])).toBe("internal-spot");
    // USDE's oracle price 0.99 is its index-twap's.
    expect(oracleOf({}, [second()])).toBe("index-twap");
    expect(oracleOf(undefined, [second({ collateral: {} })])).toBe("internal-spot");
  });

  describe("in buildSummary", () => {
    const phases: WallPhase[] = [{ name: "normal", startS: 0, endS: 3, fromMultiple: 1, toMultiple: 1 }];
    const summaryWith = (timeline: Array<Partial<TimelinePoint>>, run: Record<string, unknown>) => {
      const seconds = new Map<number, SecondTally>();
      for (let t = 0; t < 3; t++) recordLatency(secondTally(seconds, t), "order", 10_000, 5);
      return buildSummary(rollUp(0, seconds, phases), phases, [], 3, { run, timeline, t0Ms: 0 });
    };

    it("adds `market`, valid against the schema, when the timeline has market seconds", () => {
      const summary = summaryWith(shockTimeline(), { strategy: "fixed", oracle: "index-twap" });
      expect(summary.market?.amplification).toBe(1.8);
      expect(validate(JSON.parse(JSON.stringify(summary)))).toEqual([]);
    });

    it("leaves it out (no key at all) for a run without a market model", () => {
      const summary = summaryWith([{ tsMs: 1000, liquidations: 1, liquidationsShown: 1 }], {
        strategy: "fixed",
        oracle: null,
      });
      expect("market" in summary).toBe(false);
      expect(validate(JSON.parse(JSON.stringify(summary)))).toEqual([]);
    });
  });
});
