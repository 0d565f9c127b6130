import { WebSocket } from "ws";
import type { ExchangeConfig } from "../../defaults.ts";
import type { Conn } from "./connection.ts";

/**
 * Binance's keep-alive: a ping frame every `pingIntervalNaturalMs` and a close for a connection
 * that sent no pong (asked for or not) within `pongTimeoutNaturalMs` (every 3 minutes, 10
 * minutes), compressed by the time scale like a listenKey's validity.
 */

/**
 * Wall ms between pings and without a pong before a close. They are the venue's connection
 * timers in natural time, compressed by the time scale as the listenKey's validity is (a drill's
 * natural hour sees the venue's 20 pings), except that the compression stops where the pong
 * timeout would fall under `pongTimeoutMinWallMs`: a client that answers must not be dropped
 * because a saturated event loop (its or the venue's) read the pong late. At scale 60: a ping
 * every 3 s, 10 s to answer.
 */
export function keepAliveMs(config: Pick<ExchangeConfig, "timeScale" | "streams">): {
  pingIntervalMs: number;
  pongTimeoutMs: number;
} {
  const s = config.streams;
  const compression = Math.min(
    config.timeScale,
    Math.max(1, s.pongTimeoutNaturalMs / s.pongTimeoutMinWallMs),
  );
  return {
    pingIntervalMs: s.pingIntervalNaturalMs / compression,
    pongTimeoutMs: s.pongTimeoutNaturalMs / compression,
  };
}

/** The keep-alive rounds of every connection, one round per ping interval, from the streams' shared timer. */
export class KeepAlive {
  /** Venue ms of the next round (pings sent, silent connections closed). */
  private nextPingAtMs: number;

  constructor(config: Pick<ExchangeConfig, "timeScale" | "streams">, startMs: number) {
    this.nextPingAtMs = startMs + keepAliveMs(config).pingIntervalMs;
  }

  /**
   * Closes the connections that left a ping unanswered and sent no pong for the pong timeout,
   * pings the others. Only after an unanswered ping: a venue clock that jumps (a test's) must not
   * drop a client that answers every ping it gets. A connection is closed between pongTimeoutMs
   * and pongTimeoutMs + pingIntervalMs after its last pong.
   */
  round(conns: Iterable<Conn>, config: Pick<ExchangeConfig, "timeScale" | "streams">, t: number): void {
    if (t < this.nextPingAtMs) return;
    const { pingIntervalMs, pongTimeoutMs } = keepAliveMs(config);
    this.nextPingAtMs = t + pingIntervalMs;
    for (const conn of conns) {
      if (conn.lastPongMs < conn.lastPingMs && t - conn.lastPongMs > pongTimeoutMs) {
        // Presumed gone: no close handshake to wait for.
        conn.ws.terminate();
        continue;
      }
      if (conn.ws.readyState !== WebSocket.OPEN) continue;
      conn.lastPingMs = t;
      conn.ws.ping();
    }
  }
}
