import { limitPrice, makerQuote, qtyOf, REQUEST } from "../lib/behaviours.ts";
import { orderAck } from "./readPosition.ts";
import type { DrillSymbol, Session } from "./session.ts";

/**
 * market-maker: cancels its quote (when it has one) and posts a new one 1-3 ticks from mid,
 * post-only (GTX) mostly: quote stuffing's shape, a cancel for every new order. A GTX quote that
 * would take is refused by the venue (-5022) and leaves the maker without a quote.
 */
export function marketMaker(s: Session): void {
  const quote = s.state.makerQuote;
  if (quote !== undefined) {
    s.state.makerQuote = undefined;
    const res = s.send(REQUEST.cancelOrder, `symbol=${quote.symbol}&orderId=${quote.orderId}`);
    s.served(res, REQUEST.cancelOrder);
  }
  const q = makerQuote(s.rand, s.symbols.length);
  const sym = s.symbols[q.symbolIndex] as DrillSymbol;
  const price = limitPrice(s.mid(sym.symbol), sym.tick, q.side, q.offsetTicks);
  const body =
    `symbol=${sym.symbol}&side=${q.side}&quantity=${qtyOf(q.lots)}&type=LIMIT` +
    `&timeInForce=${q.timeInForce}&price=${price.toFixed(sym.priceDecimals)}`;
  const res = s.send(REQUEST.newOrder, body);
  if (!s.served(res, REQUEST.newOrder)) return;
  const ack = orderAck(res);
  if (ack !== undefined && (ack.status === "NEW" || ack.status === "PARTIALLY_FILLED"))
    s.state.makerQuote = { symbol: sym.symbol, orderId: ack.orderId };
}
