import { type RawData, WebSocket } from "ws";
import type { Venue } from "../../venue.ts";
import { WS_ERR } from "../errors.ts";
import type { Conn } from "./connection.ts";
import type { StreamHub } from "./hub.ts";

/**
 * The messages a client sends on its connection: SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS,
 * SET_PROPERTY and GET_PROPERTY ("combined"), at most `maxIncomingMessagesPerS` a second (beyond:
 * disconnected), each answered `{result, id}` or `{code, msg, id}` (WS_ERR).
 */

const CONTROL_METHODS = "SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY";

type Answer = Record<string, unknown>;

const ok = (result: unknown, id: unknown): Answer => ({ result, id: id ?? null });

const fail = (spec: { code: number; msg: string }, id: unknown, detail = ""): Answer => ({
  code: spec.code,
  msg: spec.msg.replace("{detail}", detail),
  id: id ?? null,
});

/** One message from a client: counted against the rate, run, answered. */
export function onControlMessage(hub: StreamHub, conn: Conn, data: RawData, isBinary: boolean): void {
  // Binance: "WebSocket connections have a limit of 10 incoming messages per second. A connection
  // that goes beyond the limit will be disconnected."
  const v = hub.current();
  const window = Math.floor(hub.now() / 1000);
  if (window !== conn.msgWindow) {
    conn.msgWindow = window;
    conn.msgCount = 0;
  }
  if (++conn.msgCount > v.config.streams.maxIncomingMessagesPerS) {
    conn.ws.close(1008, "Too many messages");
    return;
  }
  const text = isBinary ? Buffer.from(data as Buffer).toString("utf8") : String(data);
  const answer = control(hub, conn, text, v);
  if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(JSON.stringify(answer));
}

/** Runs one control message; the answer: `{result, id}` or `{code, msg, id}` (WS_ERR). */
function control(hub: StreamHub, conn: Conn, text: string, v: Venue): Answer {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch (err) {
    return fail(WS_ERR.INVALID_JSON, null, (err as Error).message);
  }
  if (msg === null || typeof msg !== "object" || Array.isArray(msg))
    return fail(WS_ERR.INVALID_REQUEST, null, "expected a JSON object");
  const { method, params, id } = msg as { method?: unknown; params?: unknown; id?: unknown };
  if (id !== undefined && id !== null && !(Number.isSafeInteger(id) && (id as number) >= 0))
    return fail(WS_ERR.INVALID_REQUEST, null, "request ID must be an unsigned integer");
  switch (method) {
    case "SUBSCRIBE":
    case "UNSUBSCRIBE": {
      if (!Array.isArray(params) || !params.every((p) => typeof p === "string"))
        return fail(WS_ERR.INVALID_REQUEST, id, "params must be an array of stream names");
      if (method === "SUBSCRIBE") return subscribe(hub, conn, params as string[], v, id);
      for (const name of params as string[]) hub.unsubscribe(conn, name);
      return ok(null, id);
    }
    case "LIST_SUBSCRIPTIONS":
      return ok([...conn.subs], id);
    case "SET_PROPERTY":
    case "GET_PROPERTY":
      return property(conn, method, params, id);
    default:
      return fail(
        WS_ERR.INVALID_REQUEST,
        id,
        `unknown variant ${JSON.stringify(method)}, expected one of ${CONTROL_METHODS}`,
      );
  }
}

/**
 * All or nothing. An unknown stream (Binance would accept it and send nothing) or a dead
 * listenKey is refused, so that a client's typo shows.
 */
function subscribe(hub: StreamHub, conn: Conn, names: string[], v: Venue, id: unknown): Answer {
  const t = hub.now();
  for (const name of names) {
    const ref = hub.parse(name, v);
    if (ref === undefined) return fail(WS_ERR.INVALID_REQUEST, id, `unknown stream ${name}`);
    if (ref.kind === "listenKey" && v.listenKeys.status(name, t) !== "active")
      return fail(WS_ERR.INVALID_REQUEST, id, `listenKey ${name} does not exist`);
  }
  const max = v.config.streams.maxStreamsPerConnection;
  if (conn.subs.size + new Set(names.filter((n) => !conn.subs.has(n))).size > max)
    return fail(WS_ERR.INVALID_REQUEST, id, `more than ${max} streams`);
  for (const name of names) hub.subscribe(conn, name, v);
  return ok(null, id);
}

/** The one property there is: "combined" (payloads wrapped as {"stream","data"}). */
function property(conn: Conn, method: "SET_PROPERTY" | "GET_PROPERTY", params: unknown, id: unknown): Answer {
  const args = Array.isArray(params) ? params : [];
  if (args[0] !== "combined") return fail(WS_ERR.UNKNOWN_PROPERTY, id);
  if (method === "GET_PROPERTY") return ok(conn.combined, id);
  if (typeof args[1] !== "boolean") return fail(WS_ERR.INVALID_VALUE_TYPE, id);
  conn.combined = args[1];
  return ok(null, id);
}
