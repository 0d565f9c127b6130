import { closerOrder, positionView, qtyOf, REQUEST } from "../lib/behaviours.ts";
import { orderAck, readPosition } from "./readPosition.ts";
import type { DrillSymbol, Session } from "./session.ts";

/**
 * reduce-only-closer: reads its position and, when it has one, closes it with a reduce-only
 * MARKET order (which passes priority shedding); flat, it re-enters with a MARKET order of 1-10
 * lots (closerOrder: nothing else on its account opens positions). It reads the position back
 * after the fill. A refused read leaves it not knowing what it holds: it sends nothing more.
 */
export function reduceOnlyCloser(s: Session): void {
  const sym = s.symbols[Math.floor(s.rand() * s.symbols.length)] as DrillSymbol;
  const read = readPosition(s, sym.symbol);
  if (read === undefined) return;
  const o = closerOrder(positionView(read.json(), sym.symbol), s.rand);
  const body =
    `symbol=${sym.symbol}&side=${o.side}&quantity=${qtyOf(o.lots)}&type=MARKET` +
    (o.reduceOnly ? "&reduceOnly=true" : "");
  const res = s.send(REQUEST.newOrder, body);
  if (!s.served(res, REQUEST.newOrder)) return;
  const ack = orderAck(res);
  if (ack !== undefined && Number(ack.executedQty) > 0) readPosition(s, sym.symbol, ack.updateTime);
}
