import { ApiError, type ExchangeErrorSpec } from "../../loadtests/vocabulary/exchangeErrors.ts";
import type { SymbolSpec } from "../engine/types.ts";

/**
 * The words and bounds an order may use: the edge enforces them (parseOrder.ts) and exchangeInfo
 * states them (exchangeInfo.ts), so both read them from here.
 */

export const SIDES = ["BUY", "SELL"] as const;
export const TYPES = ["LIMIT", "MARKET", "STOP_MARKET", "TAKE_PROFIT_MARKET"] as const;
export const TIFS = ["GTC", "IOC", "FOK", "GTX"] as const;

/**
 * The symbol filters exchangeInfo states (LOT_SIZE / MARKET_LOT_SIZE maxQty in lots, PRICE_FILTER
 * maxPrice in ticks), enforced at the edge like Binance's: -4005, -4002, -4007 above them.
 */
export const MAX_LOTS = 1_000_000_000;
export const maxPriceTicks = (spec: SymbolSpec) => spec.referencePriceTicks * 100;

export function atMost(value: number, max: number, refusal: ExchangeErrorSpec): number {
  if (value > max) throw new ApiError(refusal);
  return value;
}
