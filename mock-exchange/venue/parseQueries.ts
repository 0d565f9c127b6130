import { ApiError, ERR } from "../../loadtests/vocabulary/exchangeErrors.ts";
import type { Params } from "../api/params.ts";
import { KLINE_DEFAULT_LIMIT, KLINE_MAX_LIMIT } from "../api/routes.ts";
import type { TradeQuery } from "../engine/tradeLog.ts";
import { KLINE_INTERVALS, type KlineQuery } from "../marketData.ts";
import { jsonList } from "./parseOrder.ts";
import type { OrderRef } from "./request.ts";

/** The parameters that pick orders, trades and candles out of the venue's state. */

/** Ids in one DELETE batchOrders (Binance USDⓈ-M "Cancel Multiple Orders"). */
const MAX_BATCH_CANCELS = 10;
/** userTrades' default and longest window ("Account Trade List": 7 days). */
export const USER_TRADES_WINDOW_MS = 7 * 24 * 3_600_000;

/** orderId or origClientOrderId; at least one is mandatory (-1102). */
export function orderRef(params: Params): OrderRef {
  const orderId = params.optionalId("orderId");
  const clientOrderId = params.get("origClientOrderId");
  if (orderId === undefined && clientOrderId === undefined)
    throw new ApiError(ERR.MANDATORY_PARAM, { name: "orderId" });
  return { orderId, clientOrderId };
}

/**
 * DELETE /fapi/v1/batchOrders' references: `orderIdList` (JSON array of ids) or
 * `origClientOrderIdList` (JSON array of strings), at most 10, exactly one of the two
 * (Binance USDⓈ-M "Cancel Multiple Orders").
 */
export function batchRefs(params: Params): Array<{ orderId: number } | { clientOrderId: string }> {
  const hasIds = params.get("orderIdList") !== undefined;
  const hasClientIds = params.get("origClientOrderIdList") !== undefined;
  if (hasIds && hasClientIds) throw new ApiError(ERR.BAD_PARAM_COMBO);
  if (hasIds)
    return jsonList(params, "orderIdList", MAX_BATCH_CANCELS).map((id) => {
      if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 1)
        throw new ApiError(ERR.INVALID_PARAMETER, { name: "orderIdList" });
      return { orderId: id };
    });
  if (!hasClientIds) throw new ApiError(ERR.MANDATORY_PARAM, { name: "orderIdList" });
  return jsonList(params, "origClientOrderIdList", MAX_BATCH_CANCELS).map((id) => {
    if (typeof id !== "string" || id === "")
      throw new ApiError(ERR.INVALID_PARAMETER, { name: "origClientOrderIdList" });
    return { clientOrderId: id };
  });
}

/**
 * GET /fapi/v1/userTrades' filters (Binance USDⓈ-M "Account Trade List"): limit 500 by default,
 * at most 1000; startTime..endTime at most 7 days (-1127), one of them alone opens a 7-day
 * window on its side; fromId (trades from that id on) not with a window (-1128); orderId
 * narrows to one order. Neither a window nor fromId: the last 7 days, decided at execution.
 */
export function tradeQuery(params: Params): TradeQuery {
  const limit = params.optionalInt("limit", 1, 1000, 500);
  const orderId = params.optionalId("orderId");
  const fromId = params.optionalId("fromId");
  let startTime = params.optionalId("startTime");
  let endTime = params.optionalId("endTime");
  const oldestFirst = startTime !== undefined;
  if (fromId !== undefined && (startTime !== undefined || endTime !== undefined))
    throw new ApiError(ERR.BAD_PARAM_COMBO);
  if (startTime !== undefined && endTime !== undefined) {
    if (endTime < startTime) throw new ApiError(ERR.INVALID_PARAMETER, { name: "startTime" });
    if (endTime - startTime > USER_TRADES_WINDOW_MS)
      throw new ApiError(ERR.INTERVAL_TOO_BIG, { hours: USER_TRADES_WINDOW_MS / 3_600_000 });
  } else if (startTime !== undefined) endTime = startTime + USER_TRADES_WINDOW_MS;
  else if (endTime !== undefined) startTime = endTime - USER_TRADES_WINDOW_MS;
  const q: TradeQuery = { limit, oldestFirst };
  if (orderId !== undefined) q.orderId = orderId;
  if (fromId !== undefined) q.fromId = fromId;
  if (startTime !== undefined) q.startTime = startTime;
  if (endTime !== undefined) q.endTime = endTime;
  return q;
}

/**
 * GET /fapi/v1/klines' parameters (Binance USDⓈ-M "Kline/Candlestick Data"): an interval of
 * the list (-1120), limit 1..1500 (default 500), startTime not after endTime.
 */
export function klineQuery(params: Params): KlineQuery {
  const interval = params.required("interval");
  if (!(KLINE_INTERVALS as readonly string[]).includes(interval)) throw new ApiError(ERR.BAD_INTERVAL);
  const limit = params.optionalInt("limit", 1, KLINE_MAX_LIMIT, KLINE_DEFAULT_LIMIT);
  const startTime = params.optionalId("startTime");
  const endTime = params.optionalId("endTime");
  if (startTime !== undefined && endTime !== undefined && endTime < startTime)
    throw new ApiError(ERR.INVALID_PARAMETER, { name: "startTime" });
  const q: KlineQuery = { interval: interval as KlineQuery["interval"], limit };
  if (startTime !== undefined) q.startTime = startTime;
  if (endTime !== undefined) q.endTime = endTime;
  return q;
}
