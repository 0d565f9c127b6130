import { describe, expect, it } from "vitest";
import { PROFILES } from "../../loadtests/profiles/index.ts";
import type { Profile } from "../../loadtests/profiles/types.ts";
import type { OracleMode } from "../../loadtests/vocabulary/market.ts";
import type { TimelinePoint } from "../../loadtests/vocabulary/runFolder.ts";
import { marketSummary } from "../../reports/market.ts";
import { exchangeConfigFor } from "../../scripts/exchangeConfig.ts";
import { playVenue, simulateMarketTimeline } from "../fixtures/market/simulateMarket.ts";

/**
 * The market model's loop (mock-exchange/market/marketModel.ts) in the per-request simulator:
 * the depeg profile's dump, same seed, valued by each oracle. The bars of the issue: amplification
 * (liquidated notional / shock notional) at least 10 when margin reads the venue's own spot book,
 * at most 2 when it reads a multi-source TWAP or the redemption rate.
 */

const depeg = PROFILES["collateral-depeg-2025-10-10"] as Profile;

function simulateMarket(
  profile: Profile,
  oracle: OracleMode | undefined,
  strategy: string,
  seed: number,
): TimelinePoint[] {
  return simulateMarketTimeline(profile, {
    method: "requests",
    strategy,
    seed,
    timeScale: profile.defaultTimeScale,
    oracle,
  });
}

function simulateDepeg(oracle: OracleMode, strategy = "reactive", seed = 1): TimelinePoint[] {
  return simulateMarket(depeg, oracle, strategy, seed);
}

describe("the depeg cascade, simulated per request", () => {
  const runs = new Map<OracleMode, TimelinePoint[]>();
  const run = (oracle: OracleMode) => {
    let timeline = runs.get(oracle);
    if (timeline === undefined) {
      timeline = simulateDepeg(oracle);
      runs.set(oracle, timeline);
    }
    return timeline;
  };

  it("amplifies the dump at least 10x when collateral is valued at the venue's own spot price", () => {
    const timeline = run("internal-spot");
    const m = marketSummary(timeline, { oracle: "internal-spot" });
    expect(m).toBeDefined();
    if (m === undefined) return;
    expect(m.shockNotional).toBeGreaterThan(500_000);
    expect(m.amplification).toBeGreaterThanOrEqual(10);
    expect(m.liquidations).toBeGreaterThan(30);
    // The forced sales went through the perpetuals' books: bids near the mid were taken.
    const bids = timeline.map((p) => p.market?.symbols.BTCUSDT?.bidDepthUsdt ?? 0);
    expect(Math.min(...bids)).toBeLessThan((bids[0] ?? 0) / 2);
    // The throttled public stream shows fewer than happened.
    expect(m.liquidationsShown).toBeLessThan(m.liquidations);
    expect(m.insuranceFund.min).toBeLessThan(m.insuranceFund.start);
  });

  it.each(["index-twap", "conversion-rate"] as const)(
    "amplifies the same dump at most 2x under %s",
    (oracle) => {
      const timeline = run(oracle);
      const m = marketSummary(timeline, { oracle });
      expect(m?.shockNotional).toBeGreaterThan(500_000);
      expect(m?.amplification).toBeLessThanOrEqual(2);
      // The same dump hit the same spot book: only the valuation differs.
      const spot = Math.min(...timeline.map((p) => p.market?.collateral.USDE?.spot ?? 1));
      expect(spot).toBeLessThan(0.8);
      const oraclePrice = Math.min(...timeline.map((p) => p.market?.collateral.USDE?.oracle ?? 1));
      expect(oraclePrice).toBeGreaterThan(0.99);
    },
  );

  it("is the same run for the same seed", () => {
    const again = simulateDepeg("internal-spot");
    expect(marketSummary(again, { oracle: "internal-spot" })).toEqual(
      marketSummary(run("internal-spot"), { oracle: "internal-spot" }),
    );
  });

  it("sends the makers' quote updates through the venue's admission", () => {
    const m = marketSummary(run("internal-spot"), { oracle: "internal-spot" });
    expect(m?.makerRequests).toBeGreaterThan(1_000);
    // Refused ones are the capacity model's and the limiters' decisions, never more than sent.
    expect(m?.makerRequestsRefused).toBeLessThan(m?.makerRequests ?? 0);
  });
});

describe("the venue's market model", () => {
  it("closes every second with the market, and keeps cash conserved through the cascade", () => {
    const config = exchangeConfigFor(depeg, {
      timeScale: 600,
      seed: 3,
      strategy: "reactive",
      scale: "drill",
      oracle: "internal-spot",
    });
    // 40 natural minutes at time scale 600: 4 wall seconds, played in 10 ms steps with no client.
    const { venue, points } = playVenue(config, 500);
    expect(points.length).toBe(5);
    expect(points.every((p) => p.market !== undefined)).toBe(true);
    const m = marketSummary(points, { oracle: "internal-spot" });
    expect(m?.liquidations).toBeGreaterThan(0);
    const l = venue.engine.ledger();
    expect(l.wallets + l.unrealized + l.fees + l.insuranceFund).toBe(l.deposits);
  });

  it("keeps cash conserved through the 10 October cascade, stop-loss traders' closes included", () => {
    const cascade = PROFILES["liquidation-cascade-2025-10-10"] as Profile;
    // Time scale 1,200: the crash (30 natural minutes in) at 1.5 wall s, its second leg at 4.5 s.
    const config = exchangeConfigFor(cascade, {
      timeScale: 1_200,
      seed: 2,
      strategy: "fixed",
      scale: "drill",
    });
    const { venue, points } = playVenue(config, 600);
    const m = marketSummary(points, { oracle: "index-twap" });
    expect(m?.liquidations).toBeGreaterThan(0);
    expect(m?.stopLosses.triggered).toBeGreaterThan(0);
    expect(m?.stopLosses.filled).toBeGreaterThan(0);
    const l = venue.engine.ledger();
    expect(l.wallets + l.unrealized + l.fees + l.insuranceFund).toBe(l.deposits);
    expect(l.insuranceFund).toBeGreaterThanOrEqual(0);
  });
});

describe("the 10 October cascade: what a provisioning strategy costs in liquidations", () => {
  const cascade = PROFILES["liquidation-cascade-2025-10-10"] as Profile;

  it("with the same seed, fixed refuses the stop-loss traders' closes that priority shedding lets through, and liquidates more", () => {
    const fixed = marketSummary(simulateMarket(cascade, undefined, "fixed", 1), { oracle: "index-twap" });
    const shedding = marketSummary(simulateMarket(cascade, undefined, "reactive+priority-shedding", 1), {
      oracle: "index-twap",
    });
    if (fixed === undefined || shedding === undefined) throw new Error("no market figures");
    // The crash triggers the same stops under both; their reduce-only closes meet the venue's admission.
    expect(fixed.stopLosses.triggered).toBe(shedding.stopLosses.triggered);
    expect(fixed.stopLosses.refused).toBeGreaterThan(shedding.stopLosses.refused);
    expect(fixed.stopLosses.late).toBeGreaterThan(shedding.stopLosses.late);
    expect(fixed.makerRequestsRefused / fixed.makerRequests).toBeGreaterThan(
      (5 * shedding.makerRequestsRefused) / shedding.makerRequests,
    );
    expect(fixed.liquidatedNotional).toBeGreaterThan(shedding.liquidatedNotional);
  });
});
