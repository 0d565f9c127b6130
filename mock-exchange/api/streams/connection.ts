import { WebSocket } from "ws";

/**
 * One client connection and how a payload reaches the connections subscribed to a stream.
 */

/**
 * A client that lets this much pile up unread is dropped rather than buffered without bound. A
 * reader that keeps up has a few frames pending, far below 1 MiB; times the connection cap
 * (1,024) it bounds what slow readers can make the process hold to 1 GiB.
 */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export interface Conn {
  ws: WebSocket;
  /** Payloads wrapped as {"stream","data"} (/stream, or SET_PROPERTY combined). */
  combined: boolean;
  /** Market stream names and listenKeys, as the client spelled them. */
  subs: Set<string>;
  /** The wall second (venue ms / 1000) whose control messages msgCount counts. */
  msgWindow: number;
  msgCount: number;
  /** Venue ms of the last pong received (or of the connect). */
  lastPongMs: number;
  /** Venue ms of the last ping sent; -Infinity before the first. */
  lastPingMs: number;
}

/** A connection accepted at venue ms `t`, subscribed to nothing yet. */
export function newConn(ws: WebSocket, combined: boolean, t: number): Conn {
  return {
    ws,
    combined,
    subs: new Set(),
    msgWindow: -1,
    msgCount: 0,
    lastPongMs: t,
    lastPingMs: Number.NEGATIVE_INFINITY,
  };
}

/** Sends `payload` to every open subscriber; a combined one gets it wrapped (made once). */
export function push(subscribers: Set<Conn> | undefined, stream: string, payload: string): void {
  if (subscribers === undefined) return;
  let wrapped: string | undefined;
  for (const conn of subscribers) {
    const ws = conn.ws;
    if (ws.readyState !== WebSocket.OPEN) continue;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      ws.terminate();
      continue;
    }
    if (conn.combined) {
      wrapped ??= `{"stream":${JSON.stringify(stream)},"data":${payload}}`;
      ws.send(wrapped);
    } else {
      ws.send(payload);
    }
  }
}

/** Runs `fn`; a bug in a stream must show, not take the venue down (as the dialect's handlers do). */
export function guarded(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    console.error("mock exchange: stream failed", err);
  }
}
