import { KLINE_INTERVALS } from "../marketData.ts";
import {
  arrayOf,
  dec,
  int,
  obj,
  oneOrAll,
  type Param,
  type RouteDoc,
  ref,
  type Schema,
  str,
  symbol,
} from "./openapiSchema.ts";
import { KLINE_DEFAULT_LIMIT, KLINE_MAX_LIMIT, type RouteName } from "./routes.ts";

/**
 * The OpenAPI part of the market data clients read first (tickers, klines) and of the versions
 * current official clients call (balance v3, the one-open-order query); openapi.ts merges it.
 */

export const MARKET_DATA_SCHEMAS: Record<string, Schema> = {
  Ticker24hr: obj({
    symbol: str,
    priceChange: dec,
    priceChangePercent: dec,
    weightedAvgPrice: dec,
    lastPrice: dec,
    lastQty: dec,
    openPrice: dec,
    highPrice: dec,
    lowPrice: dec,
    volume: dec,
    quoteVolume: dec,
    openTime: int,
    closeTime: int,
    firstId: { type: "integer", description: "-1 when no trade happened in the window" },
    lastId: { type: "integer", description: "-1 when no trade happened in the window" },
    count: int,
  }),
  Kline: {
    type: "array",
    items: { oneOf: [int, dec] },
    minItems: 12,
    maxItems: 12,
    description:
      "[openTime, open, high, low, close, volume, closeTime, quoteVolume, trades, takerBuyVolume, takerBuyQuoteVolume, ignore]; times in the venue's clock, candles in natural time",
  },
};

const timeParams: Param[] = [
  { name: "startTime", schema: int, description: "Candles opening at or after it, oldest first." },
  {
    name: "endTime",
    schema: int,
    description: "Candles opening at or before it; without startTime, the newest up to it.",
  },
];

export const MARKET_DATA_ROUTE_DOCS: Pick<
  Record<RouteName, RouteDoc>,
  "tickerPriceV2" | "ticker24hr" | "klines" | "balanceV3" | "openOrder"
> = {
  tickerPriceV2: {
    summary: "Last price (v2)",
    params: [symbol(false)],
    ok: oneOrAll("TickerPrice"),
    weightNote: "1 with a symbol, 2 without",
  },
  ticker24hr: {
    summary: "Rolling 24 h statistics, from the venue's own trades",
    params: [symbol(false)],
    ok: oneOrAll("Ticker24hr"),
    weightNote: "1 with a symbol, 40 without",
  },
  klines: {
    summary: "Candles built from the venue's trades (one-minute candles kept, coarser ones aggregated)",
    params: [
      symbol(true),
      { name: "interval", required: true, schema: { type: "string", enum: [...KLINE_INTERVALS] } },
      ...timeParams,
      {
        name: "limit",
        schema: { type: "integer", minimum: 1, maximum: KLINE_MAX_LIMIT },
        description: `Default ${KLINE_DEFAULT_LIMIT}.`,
      },
    ],
    ok: arrayOf(ref("Kline")),
    weightNote: "limit [1,100): 1, [100,500): 2, [500,1000]: 5, above: 10",
  },
  balanceV3: { summary: "Balances (v3)", params: [], ok: arrayOf(ref("Balance")) },
  openOrder: {
    summary: "One open order (-2013 once it is filled, cancelled or expired)",
    params: [
      symbol(true),
      { name: "orderId", schema: int, description: "orderId or origClientOrderId is mandatory." },
      { name: "origClientOrderId", schema: str },
    ],
    ok: ref("Order"),
  },
};
