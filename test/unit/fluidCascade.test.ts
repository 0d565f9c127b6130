import { describe, expect, it } from "vitest";
import { PROFILES } from "../../loadtests/profiles/index.ts";
import type { Profile } from "../../loadtests/profiles/types.ts";
import type { MarketSecond, OracleMode, SellShock } from "../../loadtests/vocabulary/market.ts";
import type { ExchangeConfig } from "../../mock-exchange/defaults.ts";
import { MatchingEngine } from "../../mock-exchange/engine/matchingEngine.ts";
import { openCollateralAccounts } from "../../mock-exchange/market/collateralAccounts.ts";
import { FluidBook } from "../../mock-exchange/market/fluidBook.ts";
import { FluidCascade } from "../../mock-exchange/market/fluidCascade.ts";
import { poissonAtLeast } from "../../mock-exchange/market/fluidMakers.ts";
import {
  autoDeleverage,
  liquidationPriceUsdt,
  marginOverMaintenanceUsdt,
  openInterest,
} from "../../mock-exchange/market/fluidPositions.ts";
import { type MarketConfig, marketEngineOptions } from "../../mock-exchange/market/marketConfig.ts";
import { seededRandom } from "../../mock-exchange/random.ts";
import { usdtToCash } from "../../mock-exchange/venue/cash.ts";
import { HOUSE_ACCOUNT, openLeveragedPositions } from "../../mock-exchange/venue/houseLiquidity.ts";
import { exchangeConfigFor } from "../../scripts/exchangeConfig.ts";

/**
 * The fluid cascade's pieces (mock-exchange/market/fluidCascade.ts and its parts): a sale walks
 * the depth curve, the open interest is the engine's (same positions, same liquidation prices),
 * a price past a position's liquidation price liquidates it, a liquidation's sale feeds the price
 * that liquidates the next within a tick (the fixed point), and the oracle decides whether a
 * collateral dump liquidates anyone. Virtual time only: the cascade is advanced by hand.
 */

const depeg = PROFILES["collateral-depeg-2025-10-10"] as Profile;

function depegConfig(oracle: OracleMode, shocks?: SellShock[]): ExchangeConfig & { market: MarketConfig } {
  const config = exchangeConfigFor(depeg, {
    timeScale: 30,
    seed: 1,
    strategy: "reactive",
    scale: "drill",
    oracle,
  });
  const market = config.market as MarketConfig;
  return { ...config, market: { ...market, shocks: shocks ?? market.shocks } };
}

/** Plays `seconds` wall seconds with every request admitted; the seconds' figures. */
function play(config: ExchangeConfig & { market: MarketConfig }, seconds: number): MarketSecond[] {
  const cascade = new FluidCascade(config, config.market);
  const out: MarketSecond[] = [];
  for (let s = 0; s < seconds; s++) {
    cascade.advance((s + 1) * 1000, { orders: 1, priority: 1 });
    out.push(cascade.closeSecond().market);
  }
  return out;
}

const liquidations = (seconds: MarketSecond[]) =>
  seconds.reduce((n, m) => n + Object.values(m.symbols).reduce((k, s) => k + s.liquidations, 0), 0);

describe("FluidBook", () => {
  it("walks a sale down the bids, filling each level at its price, to its limit", () => {
    const book = new FluidBook(100);
    book.add("BUY", 99, 1, "maker");
    book.add("BUY", 98, 2, "fixed");
    book.add("BUY", 97, 5, "fixed");
    book.add("SELL", 101, 1, "maker");
    const fill = book.sell(2.5);
    expect(fill.qty).toBeCloseTo(2.5);
    expect(fill.notionalUsdt).toBeCloseTo(99 + 98 * 1.5);
    expect(book.lastPrice).toBe(98);
    expect(book.makerInventoryQty).toBeCloseTo(1);
    // A limit stops the walk: 0.5 left at 98, nothing at 97.5 or better below it.
    const limited = book.sell(3, 97.5);
    expect(limited.qty).toBeCloseTo(0.5);
    expect(book.bestBid()).toBe(97);
    expect(book.mid()).toBe(99);
    expect(book.depthUsdt(0.03).bidUsdt).toBeCloseTo(97 * 5);
  });

  it("keeps makers' quotes post-only: a fresh bid replaces the makers' stale asks it crosses, not fixed depth", () => {
    const book = new FluidBook(100);
    book.add("SELL", 100.5, 1, "maker");
    book.add("SELL", 102, 1, "fixed");
    book.add("BUY", 101, 1, "maker");
    expect(book.bestBid()).toBe(101);
    expect(book.bestAsk()).toBe(102);
    book.add("BUY", 103, 1, "maker");
    expect(book.bestBid()).toBe(101);
  });
});

describe("the fluid open interest", () => {
  it("holds the engine's positions: the same collateral and the same liquidation prices", () => {
    const config = depegConfig("internal-spot");
    const market = config.market;
    const engine = new MatchingEngine({
      symbols: config.symbols,
      now: () => 0,
      ...marketEngineOptions(market, config.symbols, config.timeScale),
    });
    engine.createAccount(HOUSE_ACCOUNT, usdtToCash(config.balances.houseBalanceUsdt, engine.cashDecimals));
    engine.defineCollateral(market.collateral.asset, 10 ** engine.cashDecimals);
    for (const spec of config.symbols) engine.setIndexPrice(spec.symbol, spec.referencePriceTicks);
    const first = config.accounts + 1 + config.leveragedAccounts.count;
    openCollateralAccounts(engine, config, market.collateral, first, seededRandom(config.seed ^ 0x3a4b7e7));
    openLeveragedPositions(engine, config);
    const fluid = openInterest(config, market, seededRandom(config.seed ^ 0x3a4b7e7)).filter((p) => !p.house);
    expect(fluid).toHaveLength(market.collateral.accounts.count + config.leveragedAccounts.count);
    for (const p of fluid) {
      const spec = config.symbols.find((s) => s.symbol === p.symbol);
      if (spec === undefined) throw new Error(p.symbol);
      const engineLiq = engine.liquidationPriceTicks(p.accountId, p.symbol) * Number(spec.tickSize);
      expect(Math.abs(liquidationPriceUsdt(p, 1) - engineLiq) / engineLiq).toBeLessThan(1e-4);
      // The fluid model's cash is the opening fee to the cent; the units are rounded up from it.
      expect(
        Math.abs(p.collateralUnits - engine.collateralOf(p.accountId, market.collateral.asset)),
      ).toBeLessThanOrEqual(1);
    }
  });

  it("liquidates a position once the mark passes its liquidation price, and not before", () => {
    const config = depegConfig("internal-spot");
    const [long] = openInterest(config, config.market, seededRandom(1)).filter((p) => !p.house && p.qty > 0);
    if (long === undefined) throw new Error("no long");
    const liq = liquidationPriceUsdt(long, 1);
    expect(marginOverMaintenanceUsdt(long, liq * 1.001, 1)).toBeGreaterThan(0);
    expect(marginOverMaintenanceUsdt(long, liq * 0.999, 1)).toBeLessThan(0);
    // A collateral account's margin also falls with its collateral's oracle price.
    expect(marginOverMaintenanceUsdt(long, liq * 1.001, 0.5)).toBeLessThan(0);
  });

  it("auto-deleverages against the highest-ranked opposite positions first, each up to its size", () => {
    const config = depegConfig("internal-spot");
    const positions = openInterest(config, config.market, seededRandom(1));
    const shorts = positions.filter((p) => p.symbol === "BTCUSDT" && p.qty < 0);
    const size = Math.abs((shorts[0] as { qty: number }).qty);
    // After a 10% fall the shorts are in profit: the best profit % x leverage goes first.
    const rank = (p: (typeof positions)[number]) =>
      ((p.qty * (54_000 - p.entryUsdt)) / Math.abs(p.qty * p.entryUsdt)) * p.leverage;
    const ranks = new Map(shorts.map((p) => [p.accountId, rank(p)]));
    const best = Math.max(...ranks.values());
    const closed = autoDeleverage(positions, "BTCUSDT", true, size * 1.5, 54_000, 54_000);
    expect(closed.reduce((n, c) => n + c.qty, 0)).toBeCloseTo(size * 1.5);
    expect(ranks.get((closed[0] as { accountId: number }).accountId)).toBe(best);
    for (let i = 1; i < closed.length; i++)
      expect(ranks.get((closed[i] as { accountId: number }).accountId)).toBeLessThanOrEqual(
        ranks.get((closed[i - 1] as { accountId: number }).accountId) as number,
      );
  });
});

describe("the fluid cascade", () => {
  it("runs to a fixed point within a tick: the seized collateral's sale takes the spot price past the next accounts' drops", () => {
    // 250k dumped at once: through the makers and part of the backstop, enough to liquidate the
    // nearest account, whose seized USDE then sells into the same book, and so on until every
    // collateral account is gone.
    const shock = [{ atS: 30, market: "USDEUSDT", notionalUsdt: 250_000, overS: 0 }];
    const spot = play(depegConfig("internal-spot", shock), 3);
    const twap = play(depegConfig("index-twap", shock), 3);
    // The dump alone (valued by the TWAP, it liquidates nobody) leaves the spot above the deepest drop...
    const dumpOnly = Math.min(...twap.map((m) => m.collateral.USDE?.spot ?? 1));
    expect(dumpOnly).toBeGreaterThan(0.7);
    expect(liquidations(twap)).toBe(0);
    // ...valued at the spot price the seizures feed the fall, all in the dump's tick.
    const second = spot.findIndex((m) => (m.collateral.USDE?.seizedSoldUsdt ?? 0) > 0);
    expect(second).toBeGreaterThanOrEqual(0);
    const crash = spot[second] as MarketSecond;
    expect(crash.collateral.USDE?.spot).toBeLessThan(dumpOnly);
    expect(liquidations([crash])).toBeGreaterThanOrEqual(30);
  });

  it.each([
    ["internal-spot", "spot"],
    ["index-twap", "indexTwap"],
    ["conversion-rate", "conversionRate"],
  ] as const)("values collateral by the run's oracle (%s)", (oracle, field) => {
    const seconds = play(depegConfig(oracle), 81);
    for (const m of seconds) {
      const c = m.collateral.USDE;
      expect(c?.oracle).toBe(c?.[field]);
    }
    // The same dump took the spot book down under every oracle; only internal-spot liquidates.
    expect(Math.min(...seconds.map((m) => m.collateral.USDE?.spot ?? 1))).toBeLessThan(0.8);
    if (oracle === "internal-spot") expect(liquidations(seconds)).toBeGreaterThanOrEqual(30);
    else expect(liquidations(seconds)).toBe(0);
  });

  it("fills every MarketSecond field and keeps the fund's open, min and close in order", () => {
    for (const m of play(depegConfig("internal-spot"), 30)) {
      expect(Object.keys(m.symbols).sort()).toEqual(["BTCUSDT", "ETHUSDT"]);
      expect(m.makersTotal).toBe(10);
      expect(m.insuranceFund.minUsdt).toBeLessThanOrEqual(m.insuranceFund.openUsdt);
      expect(m.insuranceFund.minUsdt).toBeLessThanOrEqual(m.insuranceFund.closeUsdt);
      expect(Number.isInteger(m.makerRequests)).toBe(true);
      expect(m.makerRequestsRefused).toBe(0);
    }
  });

  it("pulls makers only once refusals have lasted: P(N >= k) of the refusals a maker holds", () => {
    expect(poissonAtLeast(0, 2)).toBe(0);
    expect(poissonAtLeast(2, 0)).toBe(1);
    expect(poissonAtLeast(2, 1)).toBeCloseTo(1 - Math.exp(-2));
    expect(poissonAtLeast(2, 2)).toBeCloseTo(1 - 3 * Math.exp(-2));
  });
});
