import { ApiError, ERR, errorBody } from "../../loadtests/vocabulary/exchangeErrors.ts";
import { Params } from "../api/params.ts";
import type { OrderType, PlaceOrderInput, Side, SymbolSpec, TimeInForce } from "../engine/types.ts";
import { atMost, MAX_LOTS, maxPriceTicks, SIDES, TIFS, TYPES } from "./symbolFilters.ts";

/** New orders at the edge: one (POST order) or a batch of them (POST batchOrders). */

/** The venue's symbols by name; an unknown one is -1121. */
export interface SymbolLookup {
  spec(symbol: string): SymbolSpec;
}

/** Orders in one POST batchOrders (Binance USDⓈ-M "Place Multiple Orders"). */
const MAX_BATCH_ORDERS = 5;
const BOOLS = ["true", "false"] as const;

export function parseNewOrder(params: Params, accountId: number, symbols: SymbolLookup): PlaceOrderInput {
  const spec = symbols.spec(params.required("symbol"));
  const side = params.oneOf<Side>("side", SIDES, ERR.INVALID_SIDE);
  const type = params.oneOf<OrderType>("type", TYPES, ERR.INVALID_ORDER_TYPE);
  const conditional = type === "STOP_MARKET" || type === "TAKE_PROFIT_MARKET";
  const closePosition = optionalBool(params, "closePosition");
  const reduceOnly = optionalBool(params, "reduceOnly");
  if (closePosition) {
    // Closes the whole position when triggered: no quantity, and reduce-only is implied.
    if (!conditional) throw new ApiError(ERR.BAD_PARAM_COMBO);
    if (params.get("quantity") !== undefined) throw new ApiError(ERR.UNREAD_PARAM, { name: "quantity" });
    if (params.get("reduceOnly") !== undefined) throw new ApiError(ERR.UNREAD_PARAM, { name: "reduceOnly" });
  }
  const lots = closePosition
    ? 0
    : atMost(
        params.units("quantity", spec.stepSize, ERR.QTY_LESS_THAN_ZERO, ERR.QTY_NOT_INCREASED_BY_STEP_SIZE),
        MAX_LOTS,
        ERR.QTY_GREATER_THAN_MAX_QTY,
      );
  let priceTicks = 0;
  let timeInForce: TimeInForce = "GTC";
  if (type === "LIMIT") {
    timeInForce = params.oneOf<TimeInForce>("timeInForce", TIFS, ERR.INVALID_TIF);
    priceTicks = atMost(
      params.units("price", spec.tickSize, ERR.PRICE_LESS_THAN_ZERO, ERR.PRICE_NOT_INCREASED_BY_TICK_SIZE),
      maxPriceTicks(spec),
      ERR.PRICE_GREATER_THAN_MAX_PRICE,
    );
  } else {
    if (params.get("price") !== undefined) throw new ApiError(ERR.UNREAD_PARAM, { name: "price" });
    if (params.get("timeInForce") !== undefined) {
      // Conditional orders take a time in force for after the trigger; MARKET does not.
      if (!conditional) throw new ApiError(ERR.UNREAD_PARAM, { name: "timeInForce" });
      timeInForce = params.oneOf<TimeInForce>("timeInForce", TIFS, ERR.INVALID_TIF);
    }
  }
  const stopPriceTicks = stopPrice(params, spec, conditional);
  const clientOrderId = params.get("newClientOrderId") ?? "";
  if (clientOrderId !== "" && !/^[.A-Z:/a-z0-9_-]{1,36}$/.test(clientOrderId)) {
    throw new ApiError(ERR.CLIENT_ORDER_ID_INVALID);
  }
  const order: PlaceOrderInput = {
    accountId,
    symbol: spec.symbol,
    side,
    type,
    timeInForce,
    lots,
    priceTicks,
    clientOrderId,
  };
  if (reduceOnly) order.reduceOnly = true;
  if (closePosition) order.closePosition = true;
  if (conditional) order.stopPriceTicks = stopPriceTicks;
  return order;
}

/** A conditional order's trigger in ticks; any other order may not carry one (0 then). */
function stopPrice(params: Params, spec: SymbolSpec, conditional: boolean): number {
  if (conditional)
    return atMost(
      params.units(
        "stopPrice",
        spec.tickSize,
        ERR.STOP_PRICE_LESS_THAN_ZERO,
        ERR.PRICE_NOT_INCREASED_BY_TICK_SIZE,
      ),
      maxPriceTicks(spec),
      ERR.STOP_PRICE_GREATER_THAN_MAX_PRICE,
    );
  if (params.get("stopPrice") !== undefined) throw new ApiError(ERR.UNREAD_PARAM, { name: "stopPrice" });
  return 0;
}

/**
 * POST /fapi/v1/batchOrders: `batchOrders` is a JSON array of 1 to 5 objects with New Order's
 * parameters (Binance USDⓈ-M "Place Multiple Orders"). A list that is not one is the whole
 * request's -1130; each order is then validated on its own, and a refused one becomes its
 * element's `{code,msg}` while the others go ahead.
 */
export function parseBatch(
  params: Params,
  accountId: number,
  symbols: SymbolLookup,
): Array<PlaceOrderInput | string> {
  return jsonList(params, "batchOrders", MAX_BATCH_ORDERS).map((item) => {
    if (item === null || typeof item !== "object" || Array.isArray(item))
      throw new ApiError(ERR.INVALID_PARAMETER, { name: "batchOrders" });
    try {
      return parseNewOrder(orderParams(item as Record<string, unknown>), accountId, symbols);
    } catch (err) {
      if (err instanceof ApiError) return errorBody(err.spec, err.fields);
      throw err;
    }
  });
}

/** A parameter holding a JSON array of 1..max items; anything else is -1130 for that parameter. */
export function jsonList(params: Params, name: string, max: number): unknown[] {
  const raw = params.required(name);
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    throw new ApiError(ERR.INVALID_PARAMETER, { name });
  }
  if (!Array.isArray(list) || list.length === 0 || list.length > max)
    throw new ApiError(ERR.INVALID_PARAMETER, { name });
  return list;
}

/**
 * One batch order's JSON object as parameters. Binance sends and documents strings; numbers and
 * booleans are taken as their JSON text (clients such as ccxt send numbers); anything else is
 * -1130 for that parameter.
 */
function orderParams(item: Record<string, unknown>): Params {
  const pairs: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(item)) {
    if (typeof value === "string") pairs.push([name, value]);
    else if ((typeof value === "number" && Number.isFinite(value)) || typeof value === "boolean")
      pairs.push([name, String(value)]);
    else throw new ApiError(ERR.INVALID_PARAMETER, { name });
  }
  return new Params(new URLSearchParams(pairs).toString());
}

/** "true" / "false" (absent = false); anything else is -1130. */
function optionalBool(params: Params, name: string): boolean {
  const v = params.get(name);
  if (v === undefined) return false;
  if (!(BOOLS as readonly string[]).includes(v)) throw new ApiError(ERR.INVALID_PARAMETER, { name });
  return v === "true";
}
