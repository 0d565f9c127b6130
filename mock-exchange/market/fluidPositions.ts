import type { ExchangeConfig } from "../defaults.ts";
import type { SymbolSpec } from "../engine/types.ts";
import type { Random } from "../random.ts";
import {
  HOUSE_ACCOUNT,
  leveragedPositionPlan,
  MAINTENANCE_RATE,
  TAKER_FEE_RATE,
} from "../venue/houseLiquidity.ts";
import { collateralAccountPlan, collateralUnits, usdtPerTickLot } from "./collateralAccounts.ts";
import type { MarketConfig } from "./marketConfig.ts";
import { defendsWithStop, stopPriceOf } from "./stopLossTrader.ts";

/**
 * The fluid cascade's open interest (market/fluidCascade.ts): the positions the per-request
 * model opens (the collateral-margined longs, then the venue's leveraged accounts: the engine's
 * account order, which is the order its liquidation scan visits them in), from the same plans
 * (collateralAccountPlan, leveragedPositionPlan) and the same seeded jitter, in USDT and base
 * units. Each is liquidated where its margin balance (cash + collateral at the oracle price +
 * unrealized at the mark) reaches its maintenance margin: for a leveraged position a price, for
 * a collateral account a curve of mark against oracle price. The house holds the other side of
 * every opening trade: never liquidated, it is the ADL counterparty of last resort.
 */

/** A stop-loss trader's close in progress (market/stopLossTrader.ts, as shares of one trader). */
export interface FluidStop {
  priceUsdt: number;
  state: "watching" | "closing" | "done";
  nextSendMs: number;
}

export interface FluidPosition {
  accountId: number;
  symbol: string;
  /** Signed base units: + long. */
  qty: number;
  entryUsdt: number;
  cashUsdt: number;
  collateralUnits: number;
  stop: FluidStop | undefined;
  alive: boolean;
  /** Its leverage setting (the ADL rank's factor). */
  leverage: number;
  /** The house's net position: never liquidated, the ADL counterparty of last resort. */
  house: boolean;
}

/** The engine's leverage when an account sets none (engine/accounts.ts defaultLeverage): the house's. */
const DEFAULT_LEVERAGE = 20;

/** The market model's positions, collateral accounts first; `random` is the market model's (seed ^ 0x3a4b7e7), nothing drawn yet. */
export function openInterest(config: ExchangeConfig, market: MarketConfig, random: Random): FluidPosition[] {
  const positions: FluidPosition[] = [];
  const collateralFirst = config.accounts + 1 + config.leveragedAccounts.count;
  for (const plan of collateralAccountPlan(config, market.collateral, collateralFirst, random)) {
    const spec = plan.spec;
    const entryUsdt = plan.entryTicks * Number(spec.tickSize);
    const qty = plan.lots * Number(spec.stepSize);
    // The opening fee is what the account's cash is (negative) before the collateral comes in.
    const cashUsdt = -plan.lots * plan.entryTicks * usdtPerTickLot(spec) * TAKER_FEE_RATE;
    positions.push({
      accountId: plan.accountId,
      symbol: spec.symbol,
      qty,
      entryUsdt,
      cashUsdt,
      collateralUnits: collateralUnits(plan, cashUsdt),
      stop: undefined,
      alive: true,
      leverage: 20,
      house: false,
    });
  }
  const { everyNthGroup, stopAtShareOfDistance } = market.stopLossTraders;
  for (const plan of leveragedPositionPlan(config)) {
    const spec: SymbolSpec = plan.spec;
    const entryUsdt = spec.referencePriceTicks * Number(spec.tickSize);
    const qty = (plan.long ? 1 : -1) * plan.lots * Number(spec.stepSize);
    const p: FluidPosition = {
      accountId: plan.accountId,
      symbol: spec.symbol,
      qty,
      entryUsdt,
      cashUsdt: plan.marginUsdt,
      collateralUnits: 0,
      stop: undefined,
      alive: true,
      leverage: plan.leverage,
      house: false,
    };
    if (defendsWithStop(plan.index, config.symbols.length, everyNthGroup)) {
      p.stop = {
        priceUsdt: stopPriceOf(entryUsdt, liquidationPriceUsdt(p, 0), stopAtShareOfDistance),
        state: "watching",
        nextSendMs: Number.NEGATIVE_INFINITY,
      };
    }
    positions.push(p);
  }
  return [...positions, ...housePositions(config.symbols, positions)];
}

/**
 * The house's side of every opening trade, netted per symbol at the average entry (the engine
 * realizes as it nets; for the ADL rank the average is enough).
 */
function housePositions(
  symbols: readonly SymbolSpec[],
  positions: readonly FluidPosition[],
): FluidPosition[] {
  return symbols.map((spec) => {
    let qty = 0;
    let cost = 0;
    for (const p of positions)
      if (p.symbol === spec.symbol) {
        qty -= p.qty;
        cost -= p.qty * p.entryUsdt;
      }
    return {
      accountId: HOUSE_ACCOUNT,
      symbol: spec.symbol,
      qty,
      entryUsdt: qty === 0 ? 0 : cost / qty,
      cashUsdt: 0,
      collateralUnits: 0,
      stop: undefined,
      alive: true,
      leverage: DEFAULT_LEVERAGE,
      house: true,
    };
  });
}

/**
 * Auto-deleveraging (engine/liquidation.ts autoDeleverage): `qty` of a liquidated position of
 * side `loserLong` that the book did not take is closed at `priceUsdt` against the opposite
 * positions with the highest rank (profit % x leverage at `markUsdt`), each as far as its size
 * goes; they realize the close. Returns the counterparties and what each closed.
 */
export function autoDeleverage(
  positions: readonly FluidPosition[],
  symbol: string,
  loserLong: boolean,
  qty: number,
  priceUsdt: number,
  markUsdt: number,
): Array<{ accountId: number; qty: number }> {
  const ranked = positions
    .filter((p) => p.symbol === symbol && p.alive && p.qty !== 0 && p.qty > 0 !== loserLong)
    .map((p) => ({
      p,
      rank: ((p.qty * (markUsdt - p.entryUsdt)) / Math.abs(p.qty * p.entryUsdt)) * p.leverage,
    }))
    .sort((a, b) => b.rank - a.rank || a.p.accountId - b.p.accountId);
  const out: Array<{ accountId: number; qty: number }> = [];
  let left = qty;
  for (const { p } of ranked) {
    if (left <= 1e-12) break;
    const take = Math.min(left, Math.abs(p.qty));
    left -= take;
    const sign = p.qty > 0 ? 1 : -1;
    p.cashUsdt += sign * take * (priceUsdt - p.entryUsdt);
    p.qty -= sign * take;
    out.push({ accountId: p.accountId, qty: take });
  }
  return out;
}

/** Margin balance minus maintenance at `markUsdt`, the collateral at `oracleUsdt` per unit: <= 0 liquidates. */
export function marginOverMaintenanceUsdt(p: FluidPosition, markUsdt: number, oracleUsdt: number): number {
  const balance = p.cashUsdt + p.collateralUnits * oracleUsdt + p.qty * (markUsdt - p.entryUsdt);
  return balance - MAINTENANCE_RATE * Math.abs(p.qty) * markUsdt;
}

/** The mark at which the position reaches maintenance (engine liquidationPriceTicks), collateral at `oracleUsdt`. */
export function liquidationPriceUsdt(p: FluidPosition, oracleUsdt: number): number {
  const price =
    (p.qty * p.entryUsdt - p.cashUsdt - p.collateralUnits * oracleUsdt) /
    (p.qty - Math.abs(p.qty) * MAINTENANCE_RATE);
  return price > 0 && Number.isFinite(price) ? price : 0;
}
