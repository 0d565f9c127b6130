import {
  COLLATERAL_ASSET,
  COLLATERAL_SPOT_SYMBOL,
  type OracleMode,
  type SellShock,
} from "../../loadtests/vocabulary/market.ts";
import { cashDecimalsFor, type MatchingEngineOptions } from "../engine/engineCore.ts";
import type { SymbolSpec } from "../engine/types.ts";
import { usdtToCash } from "../venue/cash.ts";

/**
 * The market model's tunables (mock-exchange/market/), declared once with their units. A profile
 * with `market` turns the model on (scripts/exchangeConfig.ts): its oracle and shocks replace
 * `oracle` and `shocks`, the rest is these defaults.
 *
 * Clocks: makers act on the wall clock at drill size (their requests are drill-sized traffic,
 * like the clients'), shocks and the TWAP window are in natural time (profile time).
 */
export interface MarketConfig {
  oracle: OracleMode;
  shocks: SellShock[];
  /** Resting notional within this distance of the mid counts as depth (timeline, report). */
  depthBandPct: number;
  /** The insurance fund at reset, USDT. */
  insuranceFundUsdt: number;
  /**
   * While the fund can pay, forced orders sell into the book down to this far from the mark
   * (engine liquidationBandPpm), percent: the liquidations move the price they are sold at.
   */
  liquidationBandPct: number;
  /** Wall ms between slices of a shock's sell orders. */
  shockSliceMs: number;
  makers: MakerConfig;
  /**
   * Resting orders away from the mid on each perpetual (slower participants' limit orders,
   * placed by the house at reset and never refreshed): `levels` per side spread evenly from
   * `fromPct` to `toPct` of the reference, `notionalPerLevelUsdt` each. A forced sale that
   * sweeps past the makers walks down them, so liquidations move the price, and the book they
   * leave behind is thinner.
   */
  restingDepth: { fromPct: number; toPct: number; levels: number; notionalPerLevelUsdt: number };
  /**
   * Stop-loss traders (market/stopLossTrader.ts): the venue's leveraged accounts (defaults.ts
   * leveragedAccounts, laid out in groups of one long and one short per symbol, liquidation
   * distances growing group by group) of every `everyNthGroup`-th group defend their position
   * with a client-side stop `stopAtShareOfDistance` of the way from entry to liquidation price,
   * sending a reduce-only close through admission and again `retryMs` (wall) after a refusal.
   */
  stopLossTraders: { everyNthGroup: number; stopAtShareOfDistance: number; retryMs: number };
  collateral: CollateralConfig;
}

/**
 * Market makers (market/maker.ts): accounts whose quote updates pass the venue's admission.
 * Maker i of a book quotes `levels` per side, its first level `(i + 1) x levelSpacingBps` from
 * its reference, each `notionalPerLevelUsdt`: the makers interleave into one ladder.
 */
export interface MakerConfig {
  /** Makers per perpetual symbol. */
  perSymbol: number;
  /** Makers of each collateral asset's spot book. */
  perCollateral: number;
  /** Levels per side (levels x 2 <= 5: one batchOrders request re-quotes a maker). */
  levels: number;
  levelSpacingBps: number;
  notionalPerLevelUsdt: number;
  /** Wall ms between a maker's quote updates (each a batchOrders, then a cancelBatch of the quotes it replaced). */
  requoteMs: number;
  /**
   * Share of the gap between the book's last price and the external index a perpetual maker's
   * reference closes at each update (arbitrage: the venue's price returns to the index only as
   * fast as its makers get their updates through). 0 for the collateral's book.
   */
  anchorToIndex: number;
  /** A maker stops adding to a side once its inventory's notional reaches this, USDT. */
  maxInventoryUsdt: number;
  /** Withdrawal policy (docs/architecture.md "Market model"): pull after this many refusals within refusalWindowMs... */
  pullAfterRefusals: number;
  refusalWindowMs: number;
  /** ...and stay out this long before quoting again. */
  pullForMs: number;
  /** Widen by widenFactor while the reference moved more than volatilityPct within volatilityWindowMs. */
  volatilityPct: number;
  volatilityWindowMs: number;
  widenFactor: number;
}

/** The collateral asset besides USDT: a synthetic dollar with a thin spot book on the venue. */
export interface CollateralConfig {
  asset: string;
  /** Its spot book on the venue (a shock's `market` may name it). */
  spotSymbol: string;
  tickSize: string;
  stepSize: string;
  /** Redemption rate against the underlying dollar (conversion-rate oracle). */
  redemptionRate: number;
  /** Its makers' size per level and inventory limit (thinner than a perpetual's), USDT. */
  makerNotionalPerLevelUsdt: number;
  makerMaxInventoryUsdt: number;
  /** External venues the index-twap oracle takes the median of, and how far each sits from par, bps (spread evenly). */
  externalSources: number;
  externalSpreadBps: number;
  /** The index-twap oracle's window, natural seconds. */
  twapWindowNaturalS: number;
  /**
   * Redemption arbitrage: the house bids for the asset down the book, a fixed ladder that no
   * maker refreshes: `backstopLevels` levels from `backstopTopPct` below par to `backstopBottomPct`,
   * `backstopNotionalPerLevelUsdt` each (its last level is deep: buyers who redeem at par later).
   */
  backstopTopPct: number;
  backstopBottomPct: number;
  backstopLevels: number;
  backstopNotionalPerLevelUsdt: number;
  backstopFloorNotionalUsdt: number;
  /**
   * Accounts margined by the asset, each long one perpetual (alternating symbols): their
   * position was opened `entryAbovePct` above the reference price, so it carries a loss, and
   * their collateral leaves them a drop of the collateral's oracle price between the two
   * distances before they are liquidated (spread evenly, with seeded jitter).
   */
  accounts: {
    count: number;
    notionalUsdt: number;
    entryAbovePct: number;
    liquidationDropMinPct: number;
    liquidationDropMaxPct: number;
  };
}

/**
 * The perpetual engine's options the market model needs, for the venue and the per-request
 * simulator alike: its insurance fund, the forced orders' band, and the median mark (with thin
 * books a single print can be far from the market, so the mark is the median of the index, the
 * last price and the index plus the book's sampled basis, as Binance marks: docs/facts.md "Mark
 * price, index and position fields"), its basis sampled in natural time.
 */
export function marketEngineOptions(
  market: MarketConfig | undefined,
  symbols: readonly SymbolSpec[],
  timeScale: number,
): Partial<
  Pick<MatchingEngineOptions, "insuranceFund" | "liquidationBandPpm" | "markMode" | "basisSampleMs">
> {
  if (market === undefined) return {};
  return {
    insuranceFund: usdtToCash(market.insuranceFundUsdt, cashDecimalsFor(symbols)),
    liquidationBandPpm: market.liquidationBandPct * 10_000,
    markMode: "median",
    // The basis is sampled every 5 natural seconds (the engine's clock is the wall's): a book
    // that stays below the index for a natural minute moves the mark, at any time scale.
    basisSampleMs: BASIS_SAMPLE_NATURAL_MS / timeScale,
  };
}

/** Binance samples the mark's basis (mid - index) every 5 s (docs/facts.md "Mark price, index and position fields"). */
export const BASIS_SAMPLE_NATURAL_MS = 5_000;

/**
 * Drill-sized (docs/architecture.md "Two clocks, two sizes"): books about 1M USDT deep within
 * 0.5% of the mid (8 levels of 150k per side), a collateral book that a few hundred thousand
 * USDT of selling drains, and collateral positions of 15M: enough for a dump to cascade when
 * the oracle is the venue's own book, and for nothing to happen when it is not.
 */
export const MARKET_DEFAULTS: MarketConfig = {
  oracle: "index-twap",
  shocks: [],
  depthBandPct: 1,
  insuranceFundUsdt: 2_000_000,
  liquidationBandPct: 5,
  shockSliceMs: 100,
  makers: {
    perSymbol: 4,
    perCollateral: 2,
    levels: 2,
    levelSpacingBps: 5,
    notionalPerLevelUsdt: 150_000,
    requoteMs: 500,
    anchorToIndex: 0.5,
    maxInventoryUsdt: 3_000_000,
    pullAfterRefusals: 3,
    refusalWindowMs: 5_000,
    pullForMs: 5_000,
    volatilityPct: 2,
    volatilityWindowMs: 2_000,
    widenFactor: 4,
  },
  restingDepth: { fromPct: 1, toPct: 25, levels: 48, notionalPerLevelUsdt: 200_000 },
  // Half the leveraged accounts (every other group, spread over the distances) defend; a user
  // retrying a refused close a quarter of a second later.
  stopLossTraders: { everyNthGroup: 2, stopAtShareOfDistance: 0.5, retryMs: 250 },
  collateral: {
    asset: COLLATERAL_ASSET,
    spotSymbol: COLLATERAL_SPOT_SYMBOL,
    tickSize: "0.0001",
    stepSize: "1",
    redemptionRate: 1,
    makerNotionalPerLevelUsdt: 25_000,
    makerMaxInventoryUsdt: 150_000,
    externalSources: 5,
    externalSpreadBps: 20,
    twapWindowNaturalS: 600,
    backstopTopPct: 5,
    backstopBottomPct: 35,
    backstopLevels: 30,
    backstopNotionalPerLevelUsdt: 10_000,
    backstopFloorNotionalUsdt: 50_000_000,
    accounts: {
      count: 30,
      notionalUsdt: 500_000,
      entryAbovePct: 8,
      liquidationDropMinPct: 5,
      liquidationDropMaxPct: 30,
    },
  },
};
