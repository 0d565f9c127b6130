import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { WebSocketServer } from "ws";
import type { Venue } from "../../venue.ts";
import { ERR, errorBody } from "../errors.ts";
import { rawRefusal } from "../respond.ts";
import { newConn } from "./connection.ts";
import { onControlMessage } from "./controlMessages.ts";
import type { StreamHub } from "./hub.ts";

/**
 * Connecting: `/ws/<stream>` (raw payloads), `/stream?streams=<a>/<b>` (each wrapped as
 * `{"stream","data"}`), `/ws` alone to subscribe later; at most `maxStreamsPerConnection`
 * streams and `maxConnections` connections at once (past it an upgrade gets 503). An unknown
 * stream, or a listenKey that is unknown or lapsed (400 -1125), is refused at connect.
 */

/** How long a socket refused for a bad frame stays open, unread, for its peer to read the close frame. */
const REFUSED_LINGER_MS = 1_000;

/** A refused upgrade's answer. */
interface Refusal {
  status: number;
  body: string;
}

/** Accepts a WebSocket upgrade into `hub`, or answers why not and closes the socket. */
export function acceptUpgrade(
  hub: StreamHub,
  wss: WebSocketServer,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  const { path, names, combined } = requestedStreams(req.url ?? "/");
  const v = hub.current();
  const t = hub.now();
  const max = v.config.streams.maxConnections;
  const refused =
    hub.conns.size >= max
      ? { status: ERR.TOO_MANY_CONNECTIONS.status, body: errorBody(ERR.TOO_MANY_CONNECTIONS, { max }) }
      : refusal(hub, path, names, v, t);
  if (refused !== undefined) {
    socket.end(rawRefusal(refused.status, refused.body));
    return;
  }
  const accepted = names as string[];
  wss.handleUpgrade(req, socket, head, (ws) => {
    const conn = newConn(ws, combined, t);
    hub.conns.add(conn);
    for (const name of accepted) hub.subscribe(conn, name, v);
    ws.on("message", (data, isBinary) => onControlMessage(hub, conn, data, isBinary));
    ws.on("close", () => hub.drop(conn));
    // Unsolicited pongs count too (Binance allows them to keep a connection).
    ws.on("pong", () => {
      conn.lastPongMs = hub.now();
    });
    // A reset peer must not take the process down; the close event follows. A frame the
    // receiver refused (past maxIncomingMessageBytes: 1009; malformed: 1002, 1007) has its close
    // frame written by now, and ws would go on reading and discarding whatever the client still
    // sends until the close handshake ends (up to 30 s): all 90 MB of a 90 MB message.
    ws.on("error", () => stopReading(socket));
  });
}

/** The streams an upgrade's URL asks for; `names` undefined when the path is no stream path. */
function requestedStreams(raw: string): { path: string; names: string[] | undefined; combined: boolean } {
  const q = raw.indexOf("?");
  const path = q < 0 ? raw : raw.slice(0, q);
  // /ws: raw payloads, one stream in the path (or none: SUBSCRIBE later); /stream: combined.
  let names: string[] | undefined;
  const combined = path === "/stream" || path === "/stream/";
  if (path === "/ws" || path === "/ws/") names = [];
  else if (path.startsWith("/ws/")) names = [safeDecode(path.slice(4))];
  else if (combined) {
    const streams = new URLSearchParams(q < 0 ? "" : raw.slice(q + 1)).get("streams") ?? "";
    names = streams === "" ? [] : streams.split("/");
  }
  return { path, names, combined };
}

/** Why a connection to `path` with `names` is refused (status, catalog entry), or undefined to accept. */
function refusal(
  hub: StreamHub,
  path: string,
  names: string[] | undefined,
  v: Venue,
  t: number,
): Refusal | undefined {
  if (names === undefined) return { status: 404, body: errorBody(ERR.NOT_FOUND, { path }) };
  const max = v.config.streams.maxStreamsPerConnection;
  if (names.length > max)
    return { status: 400, body: errorBody(ERR.UNKNOWN_STREAM, { stream: `more than ${max} streams` }) };
  for (const name of names) {
    const ref = hub.parse(name, v);
    if (ref === undefined) return { status: 400, body: errorBody(ERR.UNKNOWN_STREAM, { stream: name }) };
    if (ref.kind === "listenKey" && v.listenKeys.status(name, t) !== "active")
      return { status: 400, body: errorBody(ERR.LISTEN_KEY_NOT_FOUND) };
  }
  return undefined;
}

/**
 * After a refused frame: reads nothing more, sends FIN after the close frame and destroys the
 * socket REFUSED_LINGER_MS later. Destroying at once would reset a peer still writing before it
 * has read its 1009; lingering without reading lets it read it, and costs no memory.
 */
function stopReading(socket: Duplex): void {
  if (socket.destroyed) return;
  // ws resumes the socket on the next tick (to read on until the close handshake); this pause
  // is queued after it.
  process.nextTick(() => socket.pause());
  socket.end();
  setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
}

/** A path segment decoded; left as it is when malformed (it then names no stream: 400). */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
