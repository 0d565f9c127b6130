import { ApiError, ERR } from "../../loadtests/vocabulary/exchangeErrors.ts";
import type { Params } from "../api/params.ts";
import { DEPTH_LIMITS, type RouteName } from "../api/routes.ts";
import type { Side } from "../engine/types.ts";
import { parseBatch, parseNewOrder, type SymbolLookup } from "./parseOrder.ts";
import { batchRefs, klineQuery, orderRef, tradeQuery } from "./parseQueries.ts";
import type { ParsedRequest } from "./request.ts";
import { atMost, MAX_LOTS, maxPriceTicks, SIDES } from "./symbolFilters.ts";

/** Validates a request's parameters at the edge; throws ApiError with the catalog entry. */
export function parseRequest(
  route: RouteName,
  params: Params,
  accountId: number,
  symbols: SymbolLookup,
): ParsedRequest {
  switch (route) {
    case "ping":
    case "time":
    case "exchangeInfo":
    case "balance":
    case "balanceV3":
    case "account":
    case "accountV3":
    case "listenKeyStart":
    case "listenKeyKeepalive":
    case "listenKeyClose":
      return { route };
    case "klines":
      return { route, symbol: symbols.spec(params.required("symbol")).symbol, query: klineQuery(params) };
    case "depth":
      return parseDepth(params, symbols);
    case "tickerPrice":
    case "tickerPriceV2":
    case "ticker24hr":
    case "premiumIndex":
    case "openOrders":
    case "leverageBracket":
    case "positionRisk":
    case "positionRiskV3": {
      const raw = params.get("symbol");
      return { route, symbol: raw === undefined ? undefined : symbols.spec(raw).symbol };
    }
    case "newOrder":
      return { route, order: parseNewOrder(params, accountId, symbols) };
    case "batchOrders":
      return { route, orders: parseBatch(params, accountId, symbols) };
    case "cancelBatch": {
      const symbol = symbols.spec(params.required("symbol")).symbol;
      return { route, symbol, refs: batchRefs(params) };
    }
    case "userTrades":
      return { route, symbol: symbols.spec(params.required("symbol")).symbol, query: tradeQuery(params) };
    case "cancelOrder":
    case "getOrder":
    case "openOrder": {
      const symbol = symbols.spec(params.required("symbol")).symbol;
      return { route, symbol, ...orderRef(params) };
    }
    case "modifyOrder":
      return parseModifyOrder(params, symbols);
    case "cancelAll":
      return { route, symbol: symbols.spec(params.required("symbol")).symbol };
    case "leverage":
      return parseLeverage(params, symbols);
  }
}

/** GET /fapi/v1/depth: limit one of Binance's levels (default 500). */
function parseDepth(params: Params, symbols: SymbolLookup): ParsedRequest {
  const symbol = symbols.spec(params.required("symbol")).symbol;
  const limit = params.optionalInt("limit", 1, 1000, 500);
  if (!(DEPTH_LIMITS as readonly number[]).includes(limit))
    throw new ApiError(ERR.INVALID_PARAMETER, { name: "limit" });
  return { route: "depth", symbol, limit };
}

/** PUT /fapi/v1/order: a resting LIMIT order's new price and quantity, its side restated. */
function parseModifyOrder(params: Params, symbols: SymbolLookup): ParsedRequest {
  const spec = symbols.spec(params.required("symbol"));
  const ref = orderRef(params);
  const side = params.oneOf<Side>("side", SIDES, ERR.INVALID_SIDE);
  const lots = atMost(
    params.units("quantity", spec.stepSize, ERR.QTY_LESS_THAN_ZERO, ERR.QTY_NOT_INCREASED_BY_STEP_SIZE),
    MAX_LOTS,
    ERR.QTY_GREATER_THAN_MAX_QTY,
  );
  const priceTicks = atMost(
    params.units("price", spec.tickSize, ERR.PRICE_LESS_THAN_ZERO, ERR.PRICE_NOT_INCREASED_BY_TICK_SIZE),
    maxPriceTicks(spec),
    ERR.PRICE_GREATER_THAN_MAX_PRICE,
  );
  return { route: "modifyOrder", symbol: spec.symbol, side, lots, priceTicks, ...ref };
}

/** POST /fapi/v1/leverage: an integer 1..125 (-4028 otherwise). */
function parseLeverage(params: Params, symbols: SymbolLookup): ParsedRequest {
  const symbol = symbols.spec(params.required("symbol")).symbol;
  const raw = params.required("leverage");
  const leverage = Number(raw);
  if (!/^\d{1,3}$/.test(raw) || leverage < 1 || leverage > 125)
    throw new ApiError(ERR.INVALID_LEVERAGE, { value: raw });
  return { route: "leverage", symbol, leverage };
}
