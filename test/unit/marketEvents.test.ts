import { describe, expect, it } from "vitest";
import { validateProfile } from "../../loadtests/lib/plan.ts";
import { PROFILES } from "../../loadtests/profiles/index.ts";
import { smoke } from "../../loadtests/profiles/smoke.ts";
import { type MarketEvent, marketEventProblems } from "../../loadtests/vocabulary/marketEvents.ts";
import { closeCapacitySecond } from "../../mock-exchange/capacity/model.ts";
import { DEFAULT_SYMBOLS, EXCHANGE_DEFAULTS, type ExchangeConfig } from "../../mock-exchange/defaults.ts";
import { MarketPath } from "../../mock-exchange/marketEvents.ts";
import { Venue } from "../../mock-exchange/venue.ts";
import { checkEngineInvariants } from "../invariants.ts";

/**
 * Market events (mock-exchange/marketEvents.ts, Venue.advanceMarket): the stepped price path,
 * validation at the edge, the leveraged accounts a shock liquidates, and a -12% shock on a venue
 * with a fake clock: liquidations counted and throttled, invariants kept.
 */

const BTC = "BTCUSDT";
const ETH = "ETHUSDT";
const SYMBOLS = DEFAULT_SYMBOLS.map((s) => s.symbol);

describe("MarketPath", () => {
  const events: MarketEvent[] = [
    { atS: 10, symbol: BTC, movePct: -10, overS: 100 },
    { atS: 200, symbol: BTC, movePct: 50, overS: 0 },
  ];
  // Time scale 10: natural seconds pass ten times as fast as wall seconds.
  const path = new MarketPath(DEFAULT_SYMBOLS, events, 1_000, 10, 1_000);
  const atNatural = (s: number) => 1_000 + (s * 1000) / 10;

  it("moves linearly in whole natural steps over overS, then holds; events on a symbol compound", () => {
    expect(path.midTicks(0, atNatural(0), 1)).toBe(600_000);
    expect(path.midTicks(0, atNatural(10), 1)).toBe(600_000);
    expect(path.midTicks(0, atNatural(60), 1)).toBe(570_000);
    // 60.9 natural seconds is still the step of 60.
    expect(path.midTicks(0, atNatural(60.9), 1)).toBe(570_000);
    expect(path.midTicks(0, atNatural(110), 1)).toBe(540_000);
    expect(path.midTicks(0, atNatural(199), 1)).toBe(540_000);
    // overS 0: the whole move at once, on top of the first.
    expect(path.midTicks(0, atNatural(200), 1)).toBe(810_000);
    // ETH has no events.
    expect(path.midTicks(1, atNatural(60), 1)).toBe(300_000);
  });

  it("is due every natural step until the last event ends, then never", () => {
    expect(path.nextDueMs(atNatural(0))).toBe(atNatural(1));
    expect(path.nextDueMs(atNatural(150.5))).toBe(atNatural(151));
    expect(path.nextDueMs(atNatural(200))).toBe(Number.POSITIVE_INFINITY);
  });

  it("never goes below the floor it is given", () => {
    const deep = new MarketPath(
      DEFAULT_SYMBOLS,
      [{ atS: 0, symbol: ETH, movePct: -89.99, overS: 0 }],
      0,
      1,
      1000,
    );
    expect(deep.midTicks(1, 0, 1)).toBe(30_030);
    expect(deep.midTicks(1, 0, 40_000)).toBe(40_000);
  });
});

describe("market event validation", () => {
  it("accepts a valid list and names each bad field", () => {
    expect(marketEventProblems([{ atS: 0, symbol: BTC, movePct: -12, overS: 300 }], SYMBOLS, 600)).toEqual(
      [],
    );
    expect(marketEventProblems({}, SYMBOLS)).toEqual([
      "marketEvents must be a list of { atS, symbol, movePct, overS }",
    ]);
    expect(
      marketEventProblems(
        [
          { atS: 700, symbol: "DOGEUSDT", movePct: -95, overS: -1 },
          { atS: -1, symbol: BTC, movePct: Number.NaN, overS: 1, size: 3 },
          null,
          { atS: 1, symbol: ETH, movePct: 500, overS: 0 },
        ],
        SYMBOLS,
        600,
      ),
    ).toEqual([
      'marketEvents[0]: unknown symbol "DOGEUSDT"; known: BTCUSDT, ETHUSDT',
      "marketEvents[0]: movePct must be a non-zero number of percent in (-90, 500), e.g. -12",
      "marketEvents[0]: overS must be a number >= 0 (natural seconds the move takes)",
      "marketEvents[0]: atS must be within the profile (0..600)",
      'marketEvents[1]: unknown field "size"; known: atS, symbol, movePct, overS',
      "marketEvents[1]: movePct must be a non-zero number of percent in (-90, 500), e.g. -12",
      "marketEvents[1]: atS must be a number >= 0 (natural seconds from the start)",
      "marketEvents[2] must be an object { atS, symbol, movePct, overS }",
      "marketEvents[3]: movePct must be a non-zero number of percent in (-90, 500), e.g. -12",
    ]);
  });

  it("is part of validateProfile, against the profile's length; the library's events are valid", () => {
    const bad = { ...smoke, marketEvents: [{ atS: 1e9, symbol: BTC, movePct: -12, overS: 60 }] };
    expect(validateProfile(bad)).toEqual([
      expect.stringMatching(/^marketEvents\[0\]: atS must be within the profile \(0\.\.\d+\)$/),
    ]);
    const withEvents = Object.values(PROFILES).filter((p) => (p.marketEvents ?? []).length > 0);
    expect(withEvents.map((p) => p.name).sort()).toEqual([
      "flash-crash-100x",
      "liquidation-cascade-2025-10-10",
    ]);
    for (const p of withEvents) expect(validateProfile(p, SYMBOLS)).toEqual([]);
  });

  it("checks a profile's symbols against the venue's the caller names, and only then", () => {
    const other = { ...smoke, marketEvents: [{ atS: 10, symbol: "DOGEUSDT", movePct: -12, overS: 60 }] };
    expect(validateProfile(other, SYMBOLS)).toEqual([
      'marketEvents[0]: unknown symbol "DOGEUSDT"; known: BTCUSDT, ETHUSDT',
    ]);
    // The simulators model no prices and name no venue: any name passes, a non-name does not.
    expect(validateProfile(other)).toEqual([]);
    const unnamed = {
      ...smoke,
      marketEvents: [{ atS: 10, symbol: 7, movePct: -12, overS: 60 }],
    } as unknown as typeof smoke;
    expect(validateProfile(unnamed)).toEqual(['marketEvents[0]: symbol must be a name, e.g. "BTCUSDT"']);
  });
});

/** A venue on a fake clock with a -12% BTC shock from natural second 60 over 60 s, at time scale 60. */
function shockedVenue(overrides: Partial<ExchangeConfig> = {}) {
  const clock = { t: 1_000_000 };
  const config: ExchangeConfig = {
    ...EXCHANGE_DEFAULTS,
    timeScale: 60,
    marketEvents: [{ atS: 60, symbol: BTC, movePct: -12, overS: 60 }],
    ...overrides,
  };
  const venue = new Venue(config, () => clock.t);
  const lev = config.leveragedAccounts;
  const leveraged = Array.from({ length: lev.count }, (_, i) => config.accounts + 1 + i);
  const allAccounts = [0, ...venue.accounts.map((a) => a.accountId), ...leveraged];
  return { clock, config, venue, leveraged, allAccounts };
}

describe("leveraged accounts", () => {
  it("open long and short positions with liquidation prices spread 2-15% away, outside the client accounts", () => {
    const { venue, config, leveraged, allAccounts } = shockedVenue();
    expect(venue.accounts).toHaveLength(config.accounts);
    expect(leveraged).toHaveLength(40);
    const distances: Record<string, { long: number[]; short: number[] }> = {
      [BTC]: { long: [], short: [] },
      [ETH]: { long: [], short: [] },
    };
    for (const id of leveraged) {
      const [p] = venue.engine.positions(id).filter((q) => q.amountLots !== 0);
      if (p === undefined) throw new Error(`account ${id} has no position`);
      const entry = p.entryPriceTicks;
      const liq = venue.engine.liquidationPriceTicks(id, p.symbol);
      const d = Math.abs(liq - entry) / entry;
      (distances[p.symbol] as { long: number[]; short: number[] })[p.amountLots > 0 ? "long" : "short"].push(
        d,
      );
      expect(d).toBeGreaterThan(0.019);
      expect(d).toBeLessThan(0.151);
      expect(venue.engine.leverage(id, p.symbol)).toBeGreaterThanOrEqual(6);
    }
    for (const sym of [BTC, ETH])
      for (const side of ["long", "short"] as const) {
        const ds = (distances[sym] as { long: number[]; short: number[] })[side];
        expect(ds).toHaveLength(10);
        // Spread over the band, not bunched.
        expect(Math.min(...ds)).toBeLessThan(0.04);
        expect(Math.max(...ds)).toBeGreaterThan(0.12);
      }
    // Opened at the reference price: the book and the mark are where they were.
    expect(venue.engine.markPriceTicks(BTC)).toBe(600_000);
    expect(venue.engine.depth(BTC, 5).bids[0]).toEqual([599_999, 5_000]);
    checkEngineInvariants(venue.engine, SYMBOLS, allAccounts, []);
  });

  it("are not opened without market events", () => {
    const venue = new Venue(EXCHANGE_DEFAULTS, () => 0);
    expect(venue.engine.positions(EXCHANGE_DEFAULTS.accounts + 1).every((p) => p.amountLots === 0)).toBe(
      true,
    );
    expect(venue.engine.account(EXCHANGE_DEFAULTS.accounts + 1).checked).toBe(false);
  });
});

describe("a -12% shock", () => {
  it("liquidates the longs within it over time, the feed shows fewer than happened, invariants hold", () => {
    const { clock, venue, leveraged, allAccounts } = shockedVenue();
    const longsWithin = leveraged.filter((id) => {
      const p = venue.engine.positions(id, BTC)[0];
      return (
        p !== undefined && p.amountLots > 0 && venue.engine.liquidationPriceTicks(id, BTC) > 600_000 * 0.885
      );
    });
    expect(longsWithin.length).toBeGreaterThanOrEqual(6);
    const liquidatedAt: number[] = [];
    const kinds = new Set<string>();
    venue.engine.onLiquidation((e) => {
      kinds.add(e.kind);
      if (e.kind === "LIQUIDATION") liquidatedAt.push(e.time);
    });
    let snapshots = 0;
    // 3 wall seconds in 50 ms steps (3 natural seconds each), as the server's tick would.
    for (let step = 0; step < 60; step++) {
      clock.t += 50;
      venue.advanceMarket(clock.t);
      snapshots += venue.forceOrders.due(clock.t).length;
      checkEngineInvariants(venue.engine, SYMBOLS, allAccounts, []);
    }
    const mark = venue.engine.markPriceTicks(BTC);
    expect(mark).toBeGreaterThan(600_000 * 0.87);
    expect(mark).toBeLessThan(600_000 * 0.885);
    expect(venue.engine.indexPriceTicks(BTC)).toBe(528_000);
    // ETH had no event: untouched.
    expect(venue.engine.markPriceTicks(ETH)).toBe(300_000);
    for (const id of longsWithin) expect(venue.engine.positions(id, BTC)[0]?.amountLots).toBe(0);
    // Every step played in turn: each forced order sells into the house bids before the mark gaps
    // past its bankruptcy price, so nothing is left for ADL.
    expect([...kinds]).toEqual(["LIQUIDATION"]);
    // Over time, not at once: the liquidations span several of the move's steps.
    expect(Math.max(...liquidatedAt) - Math.min(...liquidatedAt)).toBeGreaterThanOrEqual(300);
    // The timeline's count, closed as the server's tick closes it.
    let liquidations = 0;
    let shown = 0;
    for (let s = 0; s < 4; s++) {
      const endMs = venue.originMs + (s + 1) * 1000;
      const p = venue.timeline.closeSecond(s, closeCapacitySecond(venue.capacity, venue.replica, endMs, s));
      liquidations += p.liquidations ?? 0;
      shown += p.liquidationsShown ?? 0;
    }
    expect(liquidations).toBe(liquidatedAt.length);
    expect(liquidations).toBeGreaterThan(shown);
    expect(shown).toBeGreaterThan(0);
    expect(snapshots).toBe(shown);
  });
});
