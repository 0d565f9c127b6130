import { qtyOf, REQUEST, takerOrder } from "../lib/behaviours.ts";
import { orderAck, readPosition } from "./readPosition.ts";
import type { DrillSymbol, Session } from "./session.ts";

/** taker: a MARKET order of 1-10 lots, then the read-back of its position after the fill. */
export function taker(s: Session): void {
  const o = takerOrder(s.rand, s.symbols.length);
  const sym = s.symbols[o.symbolIndex] as DrillSymbol;
  const body = `symbol=${sym.symbol}&side=${o.side}&quantity=${qtyOf(o.lots)}&type=MARKET`;
  const res = s.send(REQUEST.newOrder, body);
  if (!s.served(res, REQUEST.newOrder)) return;
  const ack = orderAck(res);
  if (ack !== undefined && Number(ack.executedQty) > 0) readPosition(s, sym.symbol, ack.updateTime);
}
