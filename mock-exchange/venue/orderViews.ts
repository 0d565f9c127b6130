import { formatUnits } from "../api/params.ts";
import type { TradeRecord } from "../engine/tradeLog.ts";
import type { Order, SymbolSpec } from "../engine/types.ts";
import { cashText } from "./cash.ts";
import type { SymbolLookup } from "./parseOrder.ts";

/** Orders and own trades in the dialect's JSON. */

/** An order in the dialect; `withTime` adds the creation time (GET order / openOrders). */
export function orderJson(symbols: SymbolLookup, o: Readonly<Order>, withTime = false): string {
  const spec = symbols.spec(o.symbol);
  const tick = Number(spec.tickSize);
  const step = Number(spec.stepSize);
  const avgTicks = o.executedLots > 0 ? o.cumQuoteTicksLots / o.executedLots : 0;
  const executedQty = formatUnits(o.executedLots, spec.stepSize);
  // Written out rather than JSON.stringify of an object (once per order response, the hot
  // path of http_order_rps): the same text, key order and escaping. Strings that are not one
  // of the engine's fixed words go through JSON.stringify; numbers are the engine's integers.
  return (
    `{"orderId":${o.orderId},"symbol":${JSON.stringify(o.symbol)},"status":"${o.status}"` +
    `,"clientOrderId":${JSON.stringify(o.clientOrderId)},"price":"${formatUnits(o.priceTicks, spec.tickSize)}"` +
    `,"avgPrice":"${(avgTicks * tick).toFixed(8)}","origQty":"${formatUnits(o.origLots, spec.stepSize)}"` +
    `,"executedQty":"${executedQty}","cumQty":"${executedQty}"` +
    `,"cumQuote":"${(o.cumQuoteTicksLots * tick * step).toFixed(8)}","timeInForce":"${o.timeInForce}"` +
    `,"type":"${o.type}","reduceOnly":${o.reduceOnly === true},"closePosition":${o.closePosition === true}` +
    `,"side":"${o.side}","positionSide":"BOTH","stopPrice":"${formatUnits(o.stopPriceTicks ?? 0, spec.tickSize)}"` +
    `,"workingType":"MARK_PRICE","priceProtect":false,"origType":"${o.type}","priceMatch":"NONE"` +
    `,"selfTradePreventionMode":"NONE","goodTillDate":0${withTime ? `,"time":${o.time}` : ""}` +
    `,"updateTime":${o.updateTime}}`
  );
}

/** One own fill as GET /fapi/v1/userTrades has it (one-way mode: positionSide BOTH). */
export function tradeJson(spec: SymbolSpec, t: Readonly<TradeRecord>, cashDecimals: number): string {
  return JSON.stringify({
    symbol: spec.symbol,
    id: t.id,
    orderId: t.orderId,
    side: t.buyer ? "BUY" : "SELL",
    price: formatUnits(t.priceTicks, spec.tickSize),
    qty: formatUnits(t.lots, spec.stepSize),
    realizedPnl: cashText(t.realizedCash, cashDecimals),
    quoteQty: cashText(t.quoteCash, cashDecimals),
    commission: cashText(t.commissionCash, cashDecimals),
    commissionAsset: "USDT",
    time: t.time,
    positionSide: "BOTH",
    buyer: t.buyer,
    maker: t.maker,
  });
}
