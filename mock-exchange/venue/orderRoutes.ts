import { ERR } from "../../loadtests/vocabulary/exchangeErrors.ts";
import type { PlaceOrderInput } from "../engine/types.ts";
import { orderJson, tradeJson } from "./orderViews.ts";
import { apiError, engineError } from "./outcomes.ts";
import { USER_TRADES_WINDOW_MS } from "./parseQueries.ts";
import type { OrderRef, Outcome, ParsedRequest } from "./request.ts";
import type { VenueRooms } from "./rooms.ts";

/** The order routes run against the engine: place, change, cancel and look up orders and trades. */

type RequestOf<R extends ParsedRequest["route"]> = Extract<ParsedRequest, { route: R }>;
/** One order of the account's, by id or client id, in a symbol. */
type OrderLookup = { symbol: string } & OrderRef;

export function newOrder(v: VenueRooms, order: PlaceOrderInput): Outcome {
  const result = v.engine.submitOrder(order);
  if ("error" in result) return engineError(result.error);
  return { status: 200, body: orderJson(v, result.order) };
}

/**
 * In list order, each on its own ("Batch orders are processed concurrently, and the order of
 * matching is not guaranteed"; one valid order); the answer keeps list order.
 */
export function batchOrders(v: VenueRooms, orders: ReadonlyArray<PlaceOrderInput | string>): Outcome {
  const rows = orders.map((order) => {
    if (typeof order === "string") return order;
    const result = v.engine.submitOrder(order);
    return "error" in result ? engineError(result.error).body : orderJson(v, result.order);
  });
  return { status: 200, body: `[${rows.join(",")}]` };
}

export function cancelBatch(v: VenueRooms, req: RequestOf<"cancelBatch">, accountId: number): Outcome {
  const rows = req.refs.map((ref) => {
    const result = v.engine.cancelOrder(accountId, req.symbol, ref);
    return "error" in result ? engineError(result.error).body : orderJson(v, result);
  });
  return { status: 200, body: `[${rows.join(",")}]` };
}

export function userTrades(v: VenueRooms, req: RequestOf<"userTrades">, accountId: number): Outcome {
  const spec = v.spec(req.symbol);
  const q = req.query;
  // Neither a window nor fromId: the last 7 days (from now, at execution).
  const query =
    q.fromId === undefined && q.startTime === undefined && q.endTime === undefined
      ? { ...q, startTime: v.now() - USER_TRADES_WINDOW_MS }
      : q;
  // An order the venue has forgotten has no trades to show, as an id it never had.
  if (q.orderId !== undefined && "error" in v.engine.getOrder(accountId, req.symbol, { orderId: q.orderId }))
    return { status: 200, body: "[]" };
  const trades = v.engine.userTrades(accountId, req.symbol, query);
  const cd = v.engine.cashDecimals;
  return { status: 200, body: `[${trades.map((t) => tradeJson(spec, t, cd)).join(",")}]` };
}

export function cancelOrder(v: VenueRooms, req: OrderLookup, accountId: number): Outcome {
  const result = v.engine.cancelOrder(accountId, req.symbol, engineRef(req));
  if ("error" in result) return engineError(result.error);
  return { status: 200, body: orderJson(v, result) };
}

export function getOrder(v: VenueRooms, req: OrderLookup, accountId: number): Outcome {
  const result = v.engine.getOrder(accountId, req.symbol, engineRef(req));
  if ("error" in result) return engineError(result.error);
  return { status: 200, body: orderJson(v, result, true) };
}

/** Only while it rests: a filled, cancelled or expired order "does not exist" here. */
export function openOrder(v: VenueRooms, req: OrderLookup, accountId: number): Outcome {
  const result = v.engine.getOrder(accountId, req.symbol, engineRef(req));
  if ("error" in result || (result.status !== "NEW" && result.status !== "PARTIALLY_FILLED"))
    return engineError("NO_SUCH_ORDER");
  return { status: 200, body: orderJson(v, result, true) };
}

export function modifyOrder(v: VenueRooms, req: RequestOf<"modifyOrder">, accountId: number): Outcome {
  const ref = engineRef(req);
  // Another account's order, a missing or a finished one: "Order does not exist." (-2013).
  const found = v.engine.getOrder(accountId, req.symbol, ref);
  if ("error" in found) return engineError("NO_SUCH_ORDER");
  if (found.side !== req.side) return apiError(ERR.INVALID_PARAMETER, { name: "side" });
  const result = v.engine.modifyOrder(accountId, req.symbol, ref, {
    priceTicks: req.priceTicks,
    lots: req.lots,
  });
  if ("error" in result)
    return engineError(result.error === "UNKNOWN_ORDER" ? "NO_SUCH_ORDER" : result.error);
  return { status: 200, body: orderJson(v, result.order) };
}

export function cancelAll(v: VenueRooms, symbol: string, accountId: number): Outcome {
  v.engine.cancelAll(accountId, symbol);
  return { status: 200, body: '{"code":200,"msg":"The operation of cancel all open order is done."}' };
}

export function openOrders(v: VenueRooms, symbol: string | undefined, accountId: number): Outcome {
  const orders = v.engine.openOrders(accountId, symbol);
  return { status: 200, body: `[${orders.map((o) => orderJson(v, o, true)).join(",")}]` };
}

/** The engine's reference: orderId wins when both are given (as on Binance). */
function engineRef(ref: OrderRef): { orderId: number } | { clientOrderId: string } {
  return ref.orderId !== undefined
    ? { orderId: ref.orderId }
    : { clientOrderId: ref.clientOrderId as string };
}
