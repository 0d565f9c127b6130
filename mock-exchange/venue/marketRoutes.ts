import { formatUnits } from "../api/params.ts";
import type { SymbolSpec } from "../engine/types.ts";
import { dayTickerJson, type KlineQuery, klineJson } from "../marketData.ts";
import { leverageBracketJson } from "./exchangeInfo.ts";
import type { Outcome } from "./request.ts";
import type { VenueRooms } from "./rooms.ts";

/** The market data routes: the venue's own description, books, prices, tickers and candles. */

/** One symbol's row of a per-symbol route, at the request's `now`. */
type SymbolRow = (v: VenueRooms, spec: SymbolSpec, now: number) => string;

/** Symbols with their filters and the limits in force; built once, serverTime added per request. */
export function exchangeInfo(v: VenueRooms): Outcome {
  return { status: 200, body: `{"timezone":"UTC","serverTime":${v.now()},${v.exchangeInfoTail()}` };
}

export function depth(v: VenueRooms, symbol: string, limit: number): Outcome {
  const spec = v.spec(symbol);
  const book = v.engine.depth(symbol, limit);
  const level = ([p, q]: [number, number]) =>
    `["${formatUnits(p, spec.tickSize)}","${formatUnits(q, spec.stepSize)}"]`;
  const now = v.now();
  return {
    status: 200,
    body: `{"lastUpdateId":${book.lastUpdateId},"E":${now},"T":${now},"bids":[${book.bids.map(level).join(",")}],"asks":[${book.asks.map(level).join(",")}]}`,
  };
}

export function klines(v: VenueRooms, symbol: string, query: KlineQuery): Outcome {
  const spec = v.spec(symbol);
  const candles = v.marketData.klines(v.symbolIndexOf(spec.symbol), query, v.now());
  return {
    status: 200,
    body: `[${candles.map((c) => klineJson(spec, c, v.marketData)).join(",")}]`,
  };
}

export const ticker24hr = (v: VenueRooms, symbol: string | undefined) => perSymbol(v, symbol, dayTickerRow);
export const tickerPrice = (v: VenueRooms, symbol: string | undefined) => perSymbol(v, symbol, priceRow);
export const premiumIndex = (v: VenueRooms, symbol: string | undefined) => perSymbol(v, symbol, premiumRow);
export const leverageBracket = (v: VenueRooms, symbol: string | undefined) =>
  perSymbol(v, symbol, bracketRow);

/** One object for a symbol, or an array over every symbol. */
function perSymbol(v: VenueRooms, symbol: string | undefined, row: SymbolRow): Outcome {
  const now = v.now();
  if (symbol !== undefined) return { status: 200, body: row(v, v.spec(symbol), now) };
  return { status: 200, body: `[${v.config.symbols.map((s) => row(v, s, now)).join(",")}]` };
}

function dayTickerRow(v: VenueRooms, spec: SymbolSpec, now: number): string {
  return dayTickerJson(
    spec,
    v.marketData.dayStats(v.symbolIndexOf(spec.symbol), now),
    v.engine.lastPriceTicks(spec.symbol),
    now,
  );
}

function priceRow(v: VenueRooms, spec: SymbolSpec, now: number): string {
  return JSON.stringify({
    symbol: spec.symbol,
    price: formatUnits(v.engine.lastPriceTicks(spec.symbol), spec.tickSize),
    time: now,
  });
}

function premiumRow(v: VenueRooms, spec: SymbolSpec, now: number): string {
  return v.funding.premiumIndexJson(spec, v.symbolIndexOf(spec.symbol), now);
}

function bracketRow(_v: VenueRooms, spec: SymbolSpec): string {
  return leverageBracketJson(spec.symbol);
}
