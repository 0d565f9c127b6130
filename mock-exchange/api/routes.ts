import type { TrafficClass } from "../../loadtests/vocabulary/traffic.ts";
import type { ServiceClass } from "../defaults.ts";
import type { Params } from "./params.ts";

/**
 * The dialect's endpoints with their request weight and traffic class (docs/facts.md "Weights").
 * A route's class decides its service time in the capacity model and its row in the timeline.
 */

export type RouteName =
  | "ping"
  | "time"
  | "depth"
  | "exchangeInfo"
  | "tickerPrice"
  | "tickerPriceV2"
  | "ticker24hr"
  | "klines"
  | "premiumIndex"
  | "newOrder"
  | "batchOrders"
  | "cancelBatch"
  | "userTrades"
  | "cancelOrder"
  | "getOrder"
  | "modifyOrder"
  | "cancelAll"
  | "openOrders"
  | "positionRisk"
  | "positionRiskV3"
  | "balance"
  | "balanceV3"
  | "openOrder"
  | "account"
  | "accountV3"
  | "leverage"
  | "leverageBracket"
  | "listenKeyStart"
  | "listenKeyKeepalive"
  | "listenKeyClose";

export interface Route {
  name: RouteName;
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  serviceClass: ServiceClass;
  trafficClass: TrafficClass | undefined;
  /** Needs an API key (X-MBX-APIKEY) and, with auth.requireSignature, a signature (TRADE / USER_DATA). */
  keyed: boolean;
  /** IP request weight; some depend on parameters, see routeWeight. */
  weight: number;
  /**
   * Orders it counts on the per-account order-rate limits (X-MBX-ORDER-COUNT-10S / -1M), when it
   * places or changes orders (Binance USDⓈ-M "New Order", "Modify Order": 1 on each counter).
   * `orders` is the 10 s count; `orders1m` the minute count when it differs.
   */
  orders?: number;
  orders1m?: number;
  /** false: USER_STREAM, the API key alone identifies the caller (no timestamp, no signature). */
  signed?: false;
}

export const ROUTES: readonly Route[] = [
  {
    name: "ping",
    method: "GET",
    path: "/fapi/v1/ping",
    serviceClass: "other",
    trafficClass: undefined,
    keyed: false,
    weight: 1,
  },
  {
    name: "time",
    method: "GET",
    path: "/fapi/v1/time",
    serviceClass: "other",
    trafficClass: undefined,
    keyed: false,
    weight: 1,
  },
  {
    name: "depth",
    method: "GET",
    path: "/fapi/v1/depth",
    serviceClass: "depth",
    trafficClass: "depth",
    keyed: false,
    weight: 2,
  },
  // New orders cost 0 IP weight and count on the order-rate limits instead (issue: order counters).
  {
    name: "newOrder",
    method: "POST",
    path: "/fapi/v1/order",
    serviceClass: "order",
    trafficClass: "order",
    keyed: true,
    weight: 0,
    orders: 1,
  },
  {
    name: "cancelOrder",
    method: "DELETE",
    path: "/fapi/v1/order",
    serviceClass: "order",
    trafficClass: "order",
    keyed: true,
    weight: 1,
  },
  {
    name: "positionRisk",
    method: "GET",
    path: "/fapi/v2/positionRisk",
    serviceClass: "position",
    trafficClass: "position",
    keyed: true,
    weight: 5,
  },
  {
    name: "exchangeInfo",
    method: "GET",
    path: "/fapi/v1/exchangeInfo",
    serviceClass: "other",
    trafficClass: undefined,
    keyed: false,
    weight: 1,
  },
  // 1 with a symbol, 2 without (routeWeight).
  {
    name: "tickerPrice",
    method: "GET",
    path: "/fapi/v1/ticker/price",
    serviceClass: "other",
    trafficClass: undefined,
    keyed: false,
    weight: 1,
  },
  // Market data clients ask for first (ccxt's fetchTicker / fetchOHLCV, Binance's own
  // connector's ticker_price), unclassified like the other tickers. Weights from Binance
  // USDⓈ-M "Symbol Price Ticker V2" (1 with a symbol, 2 without), "24hr Ticker Price Change
  // Statistics" (1 with a symbol, 40 without) and "Kline/Candlestick Data" (by limit): routeWeight.
  {
    name: "tickerPriceV2",
    method: "GET",
    path: "/fapi/v2/ticker/price",
    serviceClass: "other",
    trafficClass: undefined,
    keyed: false,
    weight: 1,
  },
  {
    name: "ticker24hr",
    method: "GET",
    path: "/fapi/v1/ticker/24hr",
    serviceClass: "other",
    trafficClass: undefined,
    keyed: false,
    weight: 1,
  },
  {
    name: "klines",
    method: "GET",
    path: "/fapi/v1/klines",
    serviceClass: "other",
    trafficClass: undefined,
    keyed: false,
    weight: 5,
  },
  // 1 with a symbol, 10 without (routeWeight).
  {
    name: "premiumIndex",
    method: "GET",
    path: "/fapi/v1/premiumIndex",
    serviceClass: "other",
    trafficClass: undefined,
    keyed: false,
    weight: 1,
  },
  {
    name: "getOrder",
    method: "GET",
    path: "/fapi/v1/order",
    serviceClass: "position",
    trafficClass: undefined,
    keyed: true,
    weight: 1,
  },
  // Like a new order: 0 IP weight, 1 on each order counter (Binance USDⓈ-M REST "Modify Order").
  {
    name: "modifyOrder",
    method: "PUT",
    path: "/fapi/v1/order",
    serviceClass: "order",
    trafficClass: "order",
    keyed: true,
    weight: 0,
    orders: 1,
  },
  {
    name: "cancelAll",
    method: "DELETE",
    path: "/fapi/v1/allOpenOrders",
    serviceClass: "order",
    trafficClass: "order",
    keyed: true,
    weight: 1,
  },
  // Up to 5 orders, one request in the capacity model (Binance USDⓈ-M "Place Multiple Orders":
  // IP weight 5; 5 on the 10 s order counter, 1 on the minute one; venue.ts ordersPlacedBy
  // gives the batch's own count).
  {
    name: "batchOrders",
    method: "POST",
    path: "/fapi/v1/batchOrders",
    serviceClass: "order",
    trafficClass: "order",
    keyed: true,
    weight: 5,
    orders: 5,
    orders1m: 1,
  },
  // Up to 10 cancels by orderIdList or origClientOrderIdList ("Cancel Multiple Orders": weight 1).
  {
    name: "cancelBatch",
    method: "DELETE",
    path: "/fapi/v1/batchOrders",
    serviceClass: "order",
    trafficClass: "order",
    keyed: true,
    weight: 1,
  },
  // The account's own fills ("Account Trade List", USER_DATA, weight 5), a read.
  {
    name: "userTrades",
    method: "GET",
    path: "/fapi/v1/userTrades",
    serviceClass: "position",
    trafficClass: undefined,
    keyed: true,
    weight: 5,
  },
  // 1 with a symbol, 40 without (routeWeight).
  {
    name: "openOrders",
    method: "GET",
    path: "/fapi/v1/openOrders",
    serviceClass: "position",
    trafficClass: undefined,
    keyed: true,
    weight: 1,
  },
  {
    name: "positionRiskV3",
    method: "GET",
    path: "/fapi/v3/positionRisk",
    serviceClass: "position",
    trafficClass: "position",
    keyed: true,
    weight: 5,
  },
  {
    name: "balance",
    method: "GET",
    path: "/fapi/v2/balance",
    serviceClass: "position",
    trafficClass: undefined,
    keyed: true,
    weight: 5,
  },
  // What current official clients call for balances ("Futures Account Balance V3"): v2's body, weight 5.
  {
    name: "balanceV3",
    method: "GET",
    path: "/fapi/v3/balance",
    serviceClass: "position",
    trafficClass: undefined,
    keyed: true,
    weight: 5,
  },
  // One open order by orderId or origClientOrderId ("Query Current Open Order", weight 1): a
  // read like GET /fapi/v1/order, -2013 once the order is filled or cancelled.
  {
    name: "openOrder",
    method: "GET",
    path: "/fapi/v1/openOrder",
    serviceClass: "position",
    trafficClass: undefined,
    keyed: true,
    weight: 1,
  },
  {
    name: "account",
    method: "GET",
    path: "/fapi/v2/account",
    serviceClass: "position",
    trafficClass: undefined,
    keyed: true,
    weight: 5,
  },
  {
    name: "accountV3",
    method: "GET",
    path: "/fapi/v3/account",
    serviceClass: "position",
    trafficClass: undefined,
    keyed: true,
    weight: 5,
  },
  {
    name: "leverage",
    method: "POST",
    path: "/fapi/v1/leverage",
    serviceClass: "other",
    trafficClass: undefined,
    keyed: true,
    weight: 1,
  },
  // USER_DATA, weight 1 (Binance USDⓈ-M "Notional and Leverage Brackets"); ccxt's fetchPositions reads it.
  {
    name: "leverageBracket",
    method: "GET",
    path: "/fapi/v1/leverageBracket",
    serviceClass: "other",
    trafficClass: undefined,
    keyed: true,
    weight: 1,
  },
  // USER_STREAM, weight 1 each, API key only (Binance USDⓈ-M "Start / Keepalive / Close User Data
  // Stream"): one key per account, no listenKey parameter.
  {
    name: "listenKeyStart",
    method: "POST",
    path: "/fapi/v1/listenKey",
    serviceClass: "other",
    trafficClass: undefined,
    keyed: true,
    signed: false,
    weight: 1,
  },
  {
    name: "listenKeyKeepalive",
    method: "PUT",
    path: "/fapi/v1/listenKey",
    serviceClass: "other",
    trafficClass: undefined,
    keyed: true,
    signed: false,
    weight: 1,
  },
  {
    name: "listenKeyClose",
    method: "DELETE",
    path: "/fapi/v1/listenKey",
    serviceClass: "other",
    trafficClass: undefined,
    keyed: true,
    signed: false,
    weight: 1,
  },
];

const byPath = new Map<string, Route[]>();
for (const route of ROUTES) {
  const list = byPath.get(route.path) ?? [];
  list.push(route);
  byPath.set(route.path, list);
}

/** The route for a method and path; "method" when the path exists with other methods only. */
export function findRoute(method: string, path: string): Route | "method" | undefined {
  const candidates = byPath.get(path);
  if (candidates === undefined) return undefined;
  return candidates.find((r) => r.method === method) ?? "method";
}

export const DEPTH_LIMITS = [5, 10, 20, 50, 100, 500, 1000] as const;

/** GET /fapi/v1/depth weight by limit: 5-50 -> 2, 100 -> 5, 500 -> 10, 1000 -> 20. */
export function depthWeight(limit: number): number {
  if (limit <= 50) return 2;
  if (limit <= 100) return 5;
  if (limit <= 500) return 10;
  return 20;
}

export const KLINE_DEFAULT_LIMIT = 500;
export const KLINE_MAX_LIMIT = 1500;

/** GET /fapi/v1/klines weight by limit: [1,100) -> 1, [100,500) -> 2, [500,1000] -> 5, above -> 10. */
export function klinesWeight(limit: number): number {
  if (limit < 100) return 1;
  if (limit < 500) return 2;
  if (limit <= 1000) return 5;
  return 10;
}

/** A request's IP weight: the route's, or for the parameter-dependent ones, by their parameters. */
export function routeWeight(route: Route, params: Params): number {
  switch (route.name) {
    case "depth": {
      const limit = Number(params.get("limit") ?? 500);
      return depthWeight(Number.isFinite(limit) ? limit : 500);
    }
    case "openOrders":
      return params.get("symbol") === undefined ? 40 : 1;
    case "tickerPrice":
    case "tickerPriceV2":
      return params.get("symbol") === undefined ? 2 : 1;
    case "ticker24hr":
      return params.get("symbol") === undefined ? 40 : 1;
    case "klines": {
      const limit = Number(params.get("limit") ?? KLINE_DEFAULT_LIMIT);
      return klinesWeight(Number.isFinite(limit) ? limit : KLINE_DEFAULT_LIMIT);
    }
    case "premiumIndex":
      return params.get("symbol") === undefined ? 10 : 1;
    default:
      return route.weight;
  }
}
