import { formatUnits } from "../api/params.ts";
import type { ExchangeConfig } from "../defaults.ts";
import type { SymbolSpec } from "../engine/types.ts";
import { MAX_LOTS, maxPriceTicks, TIFS, TYPES } from "./symbolFilters.ts";

/**
 * What the venue states about itself: exchangeInfo (symbols, filters, limits) and the leverage
 * brackets. Both follow from the config alone.
 */

/** exchangeInfo's JSON after `{"timezone":"UTC","serverTime":N,` (the caller adds the time per request). */
export function exchangeInfoTail(config: ExchangeConfig): string {
  const rateLimits = [
    {
      rateLimitType: "REQUEST_WEIGHT",
      interval: "MINUTE",
      intervalNum: 1,
      limit: config.limits.weightPerMinute,
    },
    // Per account (limits/orderCountLimiter.ts), as Binance lists them.
    { rateLimitType: "ORDERS", interval: "SECOND", intervalNum: 10, limit: config.limits.ordersPer10s },
    { rateLimitType: "ORDERS", interval: "MINUTE", intervalNum: 1, limit: config.limits.ordersPerMinute },
  ];
  return JSON.stringify({
    futuresType: "U_MARGINED",
    rateLimits,
    exchangeFilters: [],
    assets: [{ asset: "USDT", marginAvailable: true, autoAssetExchange: "0" }],
    symbols: config.symbols.map(symbolInfo),
  }).slice(1);
}

function symbolInfo(spec: SymbolSpec) {
  const base = spec.symbol.endsWith("USDT") ? spec.symbol.slice(0, -4) : spec.symbol;
  const tickDecimals = (spec.tickSize.split(".")[1] ?? "").length;
  const stepDecimals = (spec.stepSize.split(".")[1] ?? "").length;
  return {
    symbol: spec.symbol,
    pair: spec.symbol,
    contractType: "PERPETUAL",
    deliveryDate: 4133404800000,
    onboardDate: 1569398400000,
    status: "TRADING",
    maintMarginPercent: "2.5000",
    requiredMarginPercent: "5.0000",
    baseAsset: base,
    quoteAsset: "USDT",
    marginAsset: "USDT",
    pricePrecision: tickDecimals,
    quantityPrecision: stepDecimals,
    baseAssetPrecision: 8,
    quotePrecision: 8,
    underlyingType: "COIN",
    underlyingSubType: [],
    settlePlan: 0,
    triggerProtect: "0.0500",
    liquidationFee: "0.012500",
    marketTakeBound: "0.05",
    filters: [
      {
        filterType: "PRICE_FILTER",
        minPrice: spec.tickSize,
        maxPrice: formatUnits(maxPriceTicks(spec), spec.tickSize),
        tickSize: spec.tickSize,
      },
      {
        filterType: "LOT_SIZE",
        minQty: spec.stepSize,
        maxQty: formatUnits(MAX_LOTS, spec.stepSize),
        stepSize: spec.stepSize,
      },
      {
        filterType: "MARKET_LOT_SIZE",
        minQty: spec.stepSize,
        maxQty: formatUnits(MAX_LOTS, spec.stepSize),
        stepSize: spec.stepSize,
      },
      { filterType: "MAX_NUM_ORDERS", limit: 200 },
      { filterType: "MIN_NOTIONAL", notional: spec.minNotional ?? "0" },
    ],
    orderTypes: TYPES,
    timeInForce: TIFS,
  };
}

/**
 * GET /fapi/v1/leverageBracket (Binance USDⓈ-M "Notional and Leverage Brackets"; numbers, not
 * strings, as Binance sends them). The engine has one maintenance rate (engine/exchange.ts
 * maintenancePpm, 0.4%) and leverage 1..125 at any size, so one bracket from 0 whose cap no
 * account reaches; `cum` (the bracket's maintenance offset) is 0 for a first bracket.
 */
export function leverageBracketJson(symbol: string): string {
  return JSON.stringify({
    symbol,
    brackets: [
      {
        bracket: 1,
        initialLeverage: 125,
        notionalCap: 1_000_000_000_000,
        notionalFloor: 0,
        maintMarginRatio: 0.004,
        cum: 0,
      },
    ],
  });
}
