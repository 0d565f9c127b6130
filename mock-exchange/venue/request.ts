import type { TradeQuery } from "../engine/tradeLog.ts";
import type { PlaceOrderInput, Side } from "../engine/types.ts";
import type { KlineQuery } from "../marketData.ts";

/**
 * A request as the venue knows it once its parameters passed the edge (parseRequest.ts), and
 * what admission asks of one before it runs (priority, orders placed).
 */

/** What a handler produced, ready to send. */
export interface Outcome {
  status: number;
  body: string;
}

export type OrderRef = { orderId: number | undefined; clientOrderId: string | undefined };

export type ParsedRequest =
  | { route: "ping" | "time" | "exchangeInfo" | "balance" | "balanceV3" | "account" | "accountV3" }
  | { route: "depth"; symbol: string; limit: number }
  | {
      route:
        | "tickerPrice"
        | "tickerPriceV2"
        | "ticker24hr"
        | "premiumIndex"
        | "openOrders"
        | "leverageBracket";
      symbol: string | undefined;
    }
  | { route: "klines"; symbol: string; query: KlineQuery }
  | { route: "newOrder"; order: PlaceOrderInput }
  /** Each order parsed on its own: valid ones as engine input, refused ones as their `{code,msg}` body. */
  | { route: "batchOrders"; orders: Array<PlaceOrderInput | string> }
  | { route: "cancelBatch"; symbol: string; refs: Array<{ orderId: number } | { clientOrderId: string }> }
  | { route: "userTrades"; symbol: string; query: TradeQuery }
  | ({ route: "cancelOrder" | "getOrder" | "openOrder"; symbol: string } & OrderRef)
  | ({ route: "modifyOrder"; symbol: string; side: Side; lots: number; priceTicks: number } & OrderRef)
  | { route: "cancelAll"; symbol: string }
  | { route: "positionRisk" | "positionRiskV3"; symbol: string | undefined }
  | { route: "leverage"; symbol: string; leverage: number }
  | { route: "listenKeyStart" | "listenKeyKeepalive" | "listenKeyClose" };

/** Cancels, reduce-only and close-position orders pass overload shedding (503 -1008 spares them). */
export function isPriority(req: ParsedRequest): boolean {
  switch (req.route) {
    case "cancelOrder":
    case "cancelAll":
    case "cancelBatch":
      return true;
    case "newOrder":
      return req.order.reduceOnly === true || req.order.closePosition === true;
    // A batch is one request of new orders: Binance lists no exemption for it, even if every
    // order in it is reduce-only.
    default:
      return false;
  }
}

/**
 * Orders a request places or changes, for the per-account order-count limits: 1 for a new or
 * modified order, the number of orders in a batch (refused ones included: the request carried
 * them), 0 otherwise. Binance USDⓈ-M documents a batch as 5 on the 10 s counter and 1 on the
 * minute counter whatever its size ("Place Multiple Orders"); this is the count by order.
 */
export function ordersPlacedBy(req: ParsedRequest): number {
  switch (req.route) {
    case "newOrder":
    case "modifyOrder":
      return 1;
    case "batchOrders":
      return req.orders.length;
    default:
      return 0;
  }
}
