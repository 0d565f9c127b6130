import { isNumber } from "./marketEvents.ts";

/**
 * The market's vocabulary (docs/architecture.md "Vocabulary"): collateral oracle modes, the
 * sell-pressure shocks a profile states, and the figures the venue closes every second
 * (TimelinePoint.market) and the reporter sums into summary.json `market`. Plain data, loadable
 * by k6; the model that produces them is mock-exchange/market/.
 */

/**
 * How margin values collateral other than USDT (docs/facts.md "Collateral oracles"):
 * - `internal-spot`: the venue's own spot book for the asset (its last trade);
 * - `index-twap`: the median of several external sources, time-weighted over a window of natural time;
 * - `conversion-rate`: the asset's redemption rate times its underlying's price (a wrapped asset,
 *   or a synthetic dollar redeemable for one dollar).
 */
export const ORACLE_MODES = ["internal-spot", "index-twap", "conversion-rate"] as const;
export type OracleMode = (typeof ORACLE_MODES)[number];

export function isOracleMode(value: unknown): value is OracleMode {
  return typeof value === "string" && (ORACLE_MODES as readonly string[]).includes(value);
}

/**
 * Sell pressure: `notionalUsdt` worth of `market` sold at market in even slices over `overS`
 * natural seconds from `atS`. `market` is a perpetual symbol (BTCUSDT) or a collateral asset's
 * spot book (USDEUSDT). The seller is outside the venue's clients: its orders reach the book
 * without passing admission (a whale's dump is not what is being rate-limited).
 */
export interface SellShock {
  /** @minimum 0 */
  atS: number;
  market: string;
  /** @exclusiveMinimum 0 */
  notionalUsdt: number;
  /** @minimum 0 */
  overS: number;
}

/** What a profile says about its market (Profile.market): the oracle it is run with, and its shocks. */
export interface MarketScenario {
  oracle: OracleMode;
  shocks: SellShock[];
}

/** One perpetual symbol in one wall second; prices in USDT, at the end of the second. */
export interface MarketSymbolSecond {
  mark: number;
  /** The external index the venue's makers lean towards; null when the venue has none. */
  index: number | null;
  /** Resting notional within the depth band around the mid (MarketConfig.depthBandPct), USDT. */
  bidDepthUsdt: number;
  askDepthUsdt: number;
  /** Liquidation orders on this symbol this second, and the notional they closed (fills, at fill prices). */
  liquidations: number;
  liquidatedNotionalUsdt: number;
}

/** One collateral asset in one wall second: every oracle's price, whichever one margin uses. */
export interface MarketCollateralSecond {
  spot: number;
  indexTwap: number;
  conversionRate: number;
  /** The price margin used at the end of the second (the run's oracle mode). */
  oracle: number;
  /** Bids within the depth band below the spot mid, USDT. */
  bidDepthUsdt: number;
  /** Collateral seized from liquidated accounts and sold on the spot book this second, USDT received. */
  seizedSoldUsdt: number;
}

/** The market in one wall second (TimelinePoint.market). Counts are for the second, not cumulative. */
export interface MarketSecond {
  symbols: Record<string, MarketSymbolSecond>;
  collateral: Record<string, MarketCollateralSecond>;
  /** The insurance fund at the start and end of the second, and its lowest point in it, USDT. */
  insuranceFund: { openUsdt: number; minUsdt: number; closeUsdt: number };
  /** Shock notional sold this second, USDT. */
  shockNotionalUsdt: number;
  /** Market makers' requests (quote updates, cancels) sent, and refused or timed out by the venue. */
  makerRequests: number;
  makerRequestsRefused: number;
  /** Makers with quotes on the book at the end of the second, of makersTotal. */
  makersQuoting: number;
  makersTotal: number;
  /** Auto-deleveraging this second: counterparty reductions, their notional, the accounts reduced. */
  adlEvents: number;
  adlNotionalUsdt: number;
  adlAccounts: number[];
  /**
   * Stop-losses: the clients' conditional stop orders and the market's stop-loss traders'
   * client-side stops. Triggered by the mark, filled (any part), placements or closes the venue
   * refused (rate limits, bans, shedding, queue timeout), late (a placement that reached the
   * engine after the mark had passed its stop, -2021 at execution; a trader liquidated before its
   * close got through); slippage of each filled stop against its stop price, adverse positive, bps.
   */
  stops: { triggered: number; filled: number; refused: number; late: number; slippageBps: number[] };
}

/** summary.json `market` (docs/summary.md): the run's market outcome, from its timeline's seconds. */
export interface MarketSummary {
  oracle: OracleMode;
  liquidations: number;
  liquidationsShown: number;
  liquidatedNotional: number;
  shockNotional: number;
  /** liquidatedNotional / shockNotional; null without a shock. */
  amplification: number | null;
  stopLosses: {
    triggered: number;
    filled: number;
    refused: number;
    late: number;
    slippageBps: { p50: number | null; p99: number | null };
  };
  insuranceFund: { start: number; min: number; end: number };
  adl: { events: number; notional: number; accounts: number };
  makerRequests: number;
  makerRequestsRefused: number;
}

/** The collateral asset besides USDT and its spot book on the venue (mock-exchange/market/marketConfig.ts). */
export const COLLATERAL_ASSET = "USDE";
export const COLLATERAL_SPOT_SYMBOL = "USDEUSDT";

/**
 * Problems with a profile's `market`, empty when valid. `markets`: the perpetual symbols a
 * shock may name besides the collateral's spot book, or undefined when there is no venue to check
 * against; `naturalS`: the profile's length, which shocks must start within.
 */
export function marketScenarioProblems(
  market: unknown,
  perpetuals: readonly string[] | undefined,
  naturalS: number,
): string[] {
  if (market === null || typeof market !== "object" || Array.isArray(market))
    return ["market must be an object { oracle, shocks }"];
  const m = market as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(m))
    if (key !== "oracle" && key !== "shocks")
      problems.push(`market: unknown field "${key}"; known: oracle, shocks`);
  if (!isOracleMode(m.oracle)) problems.push(`market.oracle must be one of ${ORACLE_MODES.join(", ")}`);
  if (!Array.isArray(m.shocks)) {
    problems.push("market.shocks must be a list of { atS, market, notionalUsdt, overS }");
    return problems;
  }
  const markets = perpetuals === undefined ? undefined : [...perpetuals, COLLATERAL_SPOT_SYMBOL];
  m.shocks.forEach((raw: unknown, i) => {
    const where = `market.shocks[${i}]`;
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
      problems.push(`${where} must be an object { atS, market, notionalUsdt, overS }`);
      return;
    }
    const s = raw as Record<string, unknown>;
    for (const key of Object.keys(s))
      if (!["atS", "market", "notionalUsdt", "overS"].includes(key))
        problems.push(`${where}: unknown field "${key}"; known: atS, market, notionalUsdt, overS`);
    if (typeof s.market !== "string" || (markets !== undefined && !markets.includes(s.market)))
      problems.push(`${where}: market must be one of ${(markets ?? ["a symbol"]).join(", ")}`);
    if (!(isNumber(s.notionalUsdt) && s.notionalUsdt > 0))
      problems.push(`${where}: notionalUsdt must be > 0`);
    if (!(isNumber(s.overS) && s.overS >= 0)) problems.push(`${where}: overS must be >= 0 (natural seconds)`);
    if (!(isNumber(s.atS) && s.atS >= 0 && s.atS <= naturalS))
      problems.push(`${where}: atS must be within the profile (0..${naturalS})`);
  });
  return problems;
}
