import type { MarketSecond } from "../../loadtests/vocabulary/market.ts";
import type { ExchangeConfig } from "../defaults.ts";
import type { SymbolSpec } from "../engine/types.ts";
import { ForceOrderThrottle } from "../forceOrderThrottle.ts";
import { MarketPath } from "../marketEvents.ts";
import { seededRandom } from "../random.ts";
import { collateralSpotSpec } from "./collateralAccounts.ts";
import { CollateralOracle } from "./collateralOracle.ts";
import type { Fill, FluidBook } from "./fluidBook.ts";
import type { AdmittedShares, FluidMakers } from "./fluidMakers.ts";
import {
  autoDeleverage,
  type FluidPosition,
  marginOverMaintenanceUsdt,
  openInterest,
} from "./fluidPositions.ts";
import { type PerpState, perpState, remark, type ShockSlices, shockSlices, spotBook } from "./fluidSetup.ts";
import { FluidStops } from "./fluidStops.ts";
import { BASIS_SAMPLE_NATURAL_MS, type MarketConfig } from "./marketConfig.ts";
import { MarketStats } from "./marketStats.ts";

export type { AdmittedShares } from "./fluidMakers.ts";

/**
 * The fluid cascade (docs/architecture.md "Market model"): the market model's loop
 * (market/marketModel.ts) without a matching engine, for the aggregate simulator. The same
 * positions (fluidPositions.ts: open interest by liquidation price, from the same plans and
 * seed), books as depth against price (fluidBook.ts: makers' ladders refilled at their requote
 * rate times the admitted share of their updates, fluidMakers.ts; resting depth and the
 * collateral's backstop consumed and never refilled), and the same flows every 100 ms tick (the
 * per-request simulator's market tick): the shock's slices, the stop-loss traders' closes
 * (fluidStops.ts, at the step's admitted share of priority orders), then the collateral's
 * oracle; after every flow the cascade runs to a fixed point: a position past maintenance is
 * liquidated (its collateral sold on the spot book, its position walked down the perpetual's
 * bids to the engine's limit, the rest auto-deleveraged against the house at the bankruptcy
 * price), which moves the mark or the oracle that liquidates the next.
 *
 * Marks as the engine's median mode (engine/markPrice.ts): median of the index (the profile's
 * scripted path), the last price and the index plus the mean of the last 12 basis samples (mid -
 * index, sampled at most every 5 natural seconds when the mark is recomputed: after a trade or an
 * index move). Pure: time comes in through `advance`, randomness from the config's seed.
 */

/** The per-request simulator's market tick (capacity/model.ts CAPACITY_TICK_MS). */
export const FLUID_TICK_MS = 100;
export class FluidCascade {
  private readonly perps = new Map<string, PerpState>();
  private readonly spot: FluidBook;
  private readonly spotMakers: FluidMakers;
  private readonly positions: FluidPosition[];
  private readonly oracle: CollateralOracle;
  private readonly stats: MarketStats;
  private readonly stops: FluidStops;
  private readonly path: MarketPath | undefined;
  private readonly shocks: ShockSlices[];
  /** The public liquidation feed's throttle, as the venue counts shown and hidden liquidations. */
  private readonly feed: ForceOrderThrottle<null>;
  private readonly liquidationOrders = { count: 0, shown: 0 };
  private fundUsdt: number;
  private tickMs = 0;
  private basisSampleMs: number;

  constructor(
    private readonly config: ExchangeConfig,
    private readonly market: MarketConfig,
  ) {
    const random = seededRandom(config.seed ^ 0x3a4b7e7);
    // The collateral accounts' jitter comes first from the market model's random, then the oracle's.
    this.positions = openInterest(config, market, random);
    this.oracle = new CollateralOracle(market.collateral, random);
    this.fundUsdt = market.insuranceFundUsdt;
    this.stats = new MarketStats(this.fundUsdt);
    this.basisSampleMs = BASIS_SAMPLE_NATURAL_MS / config.timeScale;
    this.feed = new ForceOrderThrottle<null>(config.streams.forceOrderThrottleMs, 0);
    this.path =
      config.marketEvents.length === 0
        ? undefined
        : new MarketPath(
            config.symbols,
            config.marketEvents,
            0,
            config.timeScale,
            config.marketEventStepNaturalMs,
          );
    for (const spec of config.symbols) {
      const perp = perpState(spec, market, this.stats.makers);
      this.perps.set(spec.symbol, perp);
    }
    const spot = spotBook(market, this.stats.makers);
    this.spot = spot.book;
    this.spotMakers = spot.makers;
    this.stops = new FluidStops(market.stopLossTraders.retryMs, this.stats.stops);
    this.shocks = shockSlices(market, config.timeScale);
  }

  /** Plays every market tick up to `nowMs` (wall ms since the run's start) at the step's admitted shares. */
  advance(nowMs: number, shares: AdmittedShares): void {
    while (this.tickMs + FLUID_TICK_MS <= nowMs + 1e-6) {
      this.tickMs += FLUID_TICK_MS;
      this.tick(this.tickMs, shares);
    }
  }

  private tick(t: number, shares: AdmittedShares): void {
    this.config.symbols.forEach((spec, i) => {
      const s = this.perps.get(spec.symbol) as PerpState;
      if (this.path !== undefined) {
        const index = this.path.midTicks(i, t, this.config.makerLevels + 1) * Number(spec.tickSize);
        if (index !== s.index) {
          s.index = index;
          this.remark(s, t);
        }
      }
      s.makers.act(s.book, t, FLUID_TICK_MS, shares, s.index);
    });
    this.spotMakers.act(this.spot, t, FLUID_TICK_MS, shares, undefined);
    this.cascade(t);
    this.stops.act(
      this.positions,
      t,
      shares.priority,
      (p, qty) => this.close(p, qty, t),
      (sym) => this.markOf(sym),
    );
    this.cascade(t);
    for (const shock of this.shocks) {
      const due = Math.min(shock.slices, Math.floor((t - shock.startMs) / this.market.shockSliceMs) + 1);
      for (; shock.done < due; shock.done++) {
        const book = this.bookOf(shock.market);
        const spec = this.specOf(shock.market);
        const fill = book.sellNotional(shock.perSliceUsdt, Number(spec.stepSize));
        this.stats.shockNotionalUsdt += fill.notionalUsdt;
        const perp = this.perps.get(shock.market);
        if (perp !== undefined && fill.qty > 0) this.remark(perp, t);
        this.cascade(t);
      }
    }
    this.oracle.update(t * this.config.timeScale, this.spot.lastPrice);
    this.cascade(t);
    this.stats.fundNow(this.fundUsdt);
  }

  /**
   * The second's figures (TimelinePoint.market) and its liquidation orders, all and those the
   * throttled public feed shows (TimelinePoint.liquidations, liquidationsShown); counting starts again.
   */
  closeSecond(): { market: MarketSecond; liquidations: number; liquidationsShown: number } {
    const band = this.market.depthBandPct / 100;
    const symbols: Parameters<MarketStats["close"]>[0] = {};
    for (const [symbol, s] of this.perps) {
      const depth = s.book.depthUsdt(band);
      symbols[symbol] = {
        mark: round6(s.mark),
        index: round6(s.index),
        bidDepthUsdt: Math.round(depth.bidUsdt),
        askDepthUsdt: Math.round(depth.askUsdt),
      };
    }
    const c = this.market.collateral;
    const o = this.oracle;
    const collateral = {
      [c.asset]: {
        spot: round6(o.spot),
        indexTwap: round6(o.indexTwap),
        conversionRate: round6(o.conversionRate),
        oracle: round6(this.oraclePrice()),
        bidDepthUsdt: Math.round(this.spot.depthUsdt(band).bidUsdt),
      },
    };
    let quoting = this.spotMakers.quoting(this.spot, this.tickMs);
    for (const s of this.perps.values()) quoting += s.makers.quoting(s.book, this.tickMs);
    const total = this.market.makers.perSymbol * this.perps.size + this.market.makers.perCollateral;
    const makers = this.stats.makers;
    // The makers' requests are a continuum: whole requests, the remainder carried to the next second.
    const requests = Math.round(makers.requests);
    const refused = Math.min(requests, Math.round(makers.refused));
    const carry = { requests: makers.requests - requests, refused: makers.refused - refused };
    makers.requests = requests;
    makers.refused = refused;
    this.stops.whole();
    const market = this.stats.close(symbols, collateral, this.fundUsdt, quoting, total);
    makers.requests = carry.requests;
    makers.refused = carry.refused;
    const { count, shown } = this.liquidationOrders;
    this.liquidationOrders.count = 0;
    this.liquidationOrders.shown = 0;
    return { market, liquidations: count, liquidationsShown: shown };
  }

  /**
   * Liquidates every position past maintenance, in account order, again until none is: each
   * liquidation's sales move the mark (or, through the spot book, the oracle) the next is judged at.
   */
  private cascade(t: number): void {
    for (let round = 0; round < 1_000; round++) {
      let any = false;
      for (const p of this.positions) {
        if (!p.alive || p.house) continue;
        if (marginOverMaintenanceUsdt(p, this.markOf(p.symbol), this.oraclePrice()) > 0) continue;
        this.liquidate(p, t);
        any = true;
      }
      if (!any) return;
    }
  }

  /**
   * Collateral seized and sold at market on the spot book; the position closed through the
   * perpetual's book down to the engine's limit (engine/liquidation.ts liquidationLimit: past the
   * bankruptcy price while the fund pays, at most liquidationBandPct from the mark); the rest
   * auto-deleveraged at the bankruptcy price against the house (the short side's largest holder).
   * The account's surplus goes to the fund, its shortfall comes from it as far as it goes.
   */
  private liquidate(p: FluidPosition, t: number): void {
    p.alive = false;
    this.stops.liquidated(p);
    if (p.collateralUnits > 0) {
      const sold = this.spot.sell(p.collateralUnits);
      p.cashUsdt += sold.notionalUsdt;
      this.stats.seizedSoldUsdt += sold.notionalUsdt;
      p.collateralUnits = 0;
    }
    const s = this.perps.get(p.symbol) as PerpState;
    const mark = s.mark;
    const long = p.qty > 0;
    const size = Math.abs(p.qty);
    const balance = p.cashUsdt + p.qty * (mark - p.entryUsdt);
    const bankrupt = Math.max(Number(s.spec.tickSize), mark - balance / p.qty);
    const band = (mark * this.market.liquidationBandPct) / 100;
    const covered = this.fundUsdt > 0 ? this.fundUsdt / size : 0;
    const limit = long
      ? Math.min(bankrupt, Math.max(mark - band, bankrupt - covered))
      : Math.max(bankrupt, Math.min(mark + band, bankrupt + covered));
    const fill = this.close(p, size, t, limit);
    const rest = size - fill.qty;
    let notional = fill.notionalUsdt;
    // Counted as the engine counts them: the forced order if it filled, and each ADL close.
    let orders = 0;
    if (fill.qty > 0) orders += this.liquidationOrder(p, t);
    if (rest > 1e-9) {
      notional += rest * bankrupt;
      p.cashUsdt += (long ? 1 : -1) * rest * (bankrupt - p.entryUsdt);
      for (const c of autoDeleverage(this.positions, p.symbol, long, rest, bankrupt, mark)) {
        orders += this.liquidationOrder(p, t);
        this.stats.adlEvents++;
        this.stats.adlNotionalUsdt += c.qty * bankrupt;
        this.stats.adlAccounts.add(c.accountId);
      }
    }
    p.qty = 0;
    this.stats.liquidated(p.symbol, notional, orders);
    if (p.cashUsdt > 0) this.fundUsdt += p.cashUsdt;
    else this.fundUsdt -= Math.min(-p.cashUsdt, Math.max(0, this.fundUsdt));
    p.cashUsdt = 0;
    this.stats.fundNow(this.fundUsdt);
  }

  /** One liquidation order (a forced order's fills, or an ADL close) for the feed's counts; returns 1. */
  private liquidationOrder(p: FluidPosition, t: number): number {
    this.liquidationOrders.count++;
    if (this.feed.offer(p.symbol, null, t)) this.liquidationOrders.shown++;
    return 1;
  }

  /** Closes `qty` of the position through its book (a long sells into the bids), realizing its profit or loss. */
  private close(p: FluidPosition, qty: number, t: number, limit?: number): Fill {
    const s = this.perps.get(p.symbol) as PerpState;
    const long = p.qty > 0;
    const fill = long ? s.book.sell(qty, limit ?? 0) : s.book.buy(qty, limit ?? Number.POSITIVE_INFINITY);
    p.cashUsdt += long
      ? fill.notionalUsdt - fill.qty * p.entryUsdt
      : fill.qty * p.entryUsdt - fill.notionalUsdt;
    p.qty += long ? -fill.qty : fill.qty;
    if (fill.qty > 0) this.remark(s, t);
    return fill;
  }

  /** The engine's median mark, recomputed after a trade or an index move (sampling the basis when due). */
  private remark(s: PerpState, t: number): void {
    remark(s, t, this.basisSampleMs);
  }

  private markOf(symbol: string): number {
    return (this.perps.get(symbol) as PerpState).mark;
  }

  /** The collateral's price margin uses: the spot book's last trade now under internal-spot (the fixed point sees its own sales). */
  private oraclePrice(): number {
    return this.market.oracle === "internal-spot"
      ? this.spot.lastPrice
      : this.oracle.price(this.market.oracle);
  }

  private bookOf(market: string): FluidBook {
    return market === this.market.collateral.spotSymbol
      ? this.spot
      : (this.perps.get(market) as PerpState).book;
  }

  private specOf(market: string): SymbolSpec {
    return market === this.market.collateral.spotSymbol
      ? collateralSpotSpec(this.market.collateral)
      : (this.perps.get(market) as PerpState).spec;
  }
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
