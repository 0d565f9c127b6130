import type { RefinedResponse, ResponseType } from "k6/http";
import { Rate, Trend } from "k6/metrics";
import { type PositionView, positionView, REQUEST } from "../lib/behaviours.ts";
import type { Session } from "./session.ts";

// Read-your-writes (docs/architecture.md "Vocabulary": stale read): checked on the read-back after a fill.
const staleRead = new Rate("stampede_stale_read");
const staleReadAgeMs = new Trend("stampede_stale_read_age_ms", true);

/**
 * GET /fapi/v2/positionRisk for one symbol; the response when served, else undefined. With
 * `ackedFillMs` (the updateTime of a fill this session already had acknowledged) it is a
 * read-back: a position older than that fill is a stale read, recorded with its age (how long
 * after the acknowledged fill the old view was returned, a lower bound of the replica's lag).
 */
export function readPosition(
  s: Session,
  symbol: string,
  ackedFillMs?: number,
): RefinedResponse<ResponseType> | undefined {
  const res = s.send(REQUEST.positionRisk, `symbol=${symbol}`);
  if (!s.served(res, REQUEST.positionRisk)) return undefined;
  if (ackedFillMs !== undefined) {
    const seen = positionView(res.json(), symbol)?.updateTime ?? 0;
    const stale = seen < ackedFillMs;
    staleRead.add(stale, { class: "position" });
    if (stale) staleReadAgeMs.add(Date.now() - ackedFillMs, { class: "position" });
  }
  return res;
}

/**
 * Reads the position and remembers it in the session; returns what the session knows afterwards
 * (the last view it read when this read was refused, undefined when it never read one).
 */
export function checkPosition(s: Session, symbol: string): PositionView | undefined {
  const res = readPosition(s, symbol);
  if (res !== undefined) {
    const view = positionView(res.json(), symbol);
    if (view !== undefined) s.state.positions[symbol] = view;
  }
  return s.state.positions[symbol];
}

/** Parses an order acknowledgement; undefined when the body is not one. */
export function orderAck(
  res: RefinedResponse<ResponseType>,
): { orderId: number; status: string; executedQty: string; updateTime: number } | undefined {
  try {
    const ack = res.json() as { orderId?: unknown };
    return typeof ack?.orderId === "number" ? (ack as ReturnType<typeof orderAck>) : undefined;
  } catch {
    return undefined;
  }
}
