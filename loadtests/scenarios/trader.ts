import { limitPrice, qtyOf, REQUEST, traderAction } from "../lib/behaviours.ts";
import { orderAck, readPosition } from "./readPosition.ts";
import type { DrillSymbol, Session } from "./session.ts";

/**
 * trader: market and limit orders, and cancels of its own resting order; after a fill it reads
 * its position back (read-your-writes). The drill's order traffic before behaviours existed, draw
 * for draw (loadtests/lib/behaviours.ts `traderAction`).
 */
export function trader(s: Session): void {
  const resting = s.state.traderResting;
  const action = traderAction(s.rand, s.symbols.length, resting !== undefined);
  if (action.kind === "cancel") {
    const { symbol, orderId } = resting as { symbol: string; orderId: number };
    s.state.traderResting = undefined;
    const res = s.send(REQUEST.cancelOrder, `symbol=${symbol}&orderId=${orderId}`);
    s.served(res, REQUEST.cancelOrder);
    return;
  }
  const sym = s.symbols[action.symbolIndex] as DrillSymbol;
  let body = `symbol=${sym.symbol}&side=${action.side}&quantity=${qtyOf(action.lots)}`;
  if (action.market) {
    body += "&type=MARKET";
  } else {
    // Mostly passive quotes inside the house ladder, sometimes aggressive enough to cross.
    const price = limitPrice(s.mid(sym.symbol), sym.tick, action.side, action.offsetTicks);
    body += `&type=LIMIT&timeInForce=GTC&price=${price.toFixed(sym.priceDecimals)}`;
  }
  const res = s.send(REQUEST.newOrder, body);
  if (!s.served(res, REQUEST.newOrder)) return;
  const ack = orderAck(res);
  if (ack === undefined) return;
  if (ack.status === "NEW" || ack.status === "PARTIALLY_FILLED")
    s.state.traderResting = { symbol: sym.symbol, orderId: ack.orderId };
  if (Number(ack.executedQty) > 0) readPosition(s, sym.symbol, ack.updateTime);
}
