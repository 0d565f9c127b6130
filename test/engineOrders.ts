import { isEngineError, type MatchingEngine } from "../mock-exchange/engine/matchingEngine.ts";
import type { Order, PlaceOrderInput } from "../mock-exchange/engine/types.ts";

/**
 * Orders for engine tests: a one-lot GTC buy of BTCUSDT at 1000 ticks by account 1 unless told
 * otherwise, so a test states only what matters to it.
 */
export function orderInput(p: Partial<PlaceOrderInput>): PlaceOrderInput {
  return {
    accountId: 1,
    symbol: "BTCUSDT",
    side: "BUY",
    type: "LIMIT",
    timeInForce: "GTC",
    lots: 1,
    priceTicks: 1000,
    clientOrderId: "",
    ...p,
  };
}

/** Places an order that must be accepted; returns a copy of its state after matching. */
export function placeOrder(ex: MatchingEngine, p: Partial<PlaceOrderInput>): Order {
  const res = ex.submitOrder(orderInput(p));
  if (isEngineError(res)) throw new Error(`unexpected ${res.error}`);
  return { ...res.order };
}

/** A plain resting LIMIT GTC order of account 1 on symbol "X", for OrderBook tests. */
export function restingOrder(orderId: number, side: "BUY" | "SELL", priceTicks: number, lots: number): Order {
  return {
    orderId,
    clientOrderId: `c${orderId}`,
    accountId: 1,
    symbol: "X",
    side,
    type: "LIMIT",
    timeInForce: "GTC",
    priceTicks,
    origLots: lots,
    executedLots: 0,
    cumQuoteTicksLots: 0,
    status: "NEW",
    time: 0,
    updateTime: 0,
  };
}
