import { qtyOf, REQUEST, stopLoss } from "../lib/behaviours.ts";
import { checkPosition, orderAck } from "./readPosition.ts";
import type { DrillSymbol, Session } from "./session.ts";

/**
 * stop-loss-submitter: reads its position, cancels its working stop on the symbol and places a
 * new STOP_MARKET `STOP_LOSS.lossFraction` beyond the entry price (one tick inside the mark when
 * the mark has already passed it): reduce-only for the position's size, or closePosition when it
 * knows of no position. One working stop per session and symbol, so the venue's stop book stays
 * the size of the client population. Stops, like cancels, pass priority shedding.
 */
export function stopLossSubmitter(s: Session): void {
  const sym = s.symbols[Math.floor(s.rand() * s.symbols.length)] as DrillSymbol;
  const position = checkPosition(s, sym.symbol);
  const previous = s.state.stops[sym.symbol];
  if (previous !== undefined) {
    delete s.state.stops[sym.symbol];
    const res = s.send(REQUEST.cancelOrder, `symbol=${sym.symbol}&orderId=${previous}`);
    s.served(res, REQUEST.cancelOrder);
  }
  // The mark as the read saw it, else the mid setup() saw.
  const mark = position?.markPrice ?? s.mid(sym.symbol);
  const stop = stopLoss(position, Math.round(mark / sym.tick), sym.tick, s.rand);
  let body =
    `symbol=${sym.symbol}&side=${stop.side}&type=STOP_MARKET` +
    `&stopPrice=${(stop.stopTicks * sym.tick).toFixed(sym.priceDecimals)}`;
  body += stop.lots > 0 ? `&quantity=${qtyOf(stop.lots)}&reduceOnly=true` : "&closePosition=true";
  const res = s.send(REQUEST.newOrder, body);
  if (!s.served(res, REQUEST.newOrder)) return;
  const ack = orderAck(res);
  if (ack !== undefined && ack.status === "NEW") s.state.stops[sym.symbol] = ack.orderId;
}
