import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { Venue } from "../venue.ts";
import { guarded } from "./streams/connection.ts";
import { ForceOrderFeed } from "./streams/forceOrders.ts";
import { StreamHub } from "./streams/hub.ts";
import { KeepAlive } from "./streams/keepAlive.ts";
import { acceptUpgrade } from "./streams/upgrade.ts";

/**
 * The venue's WebSocket streams (Binance USDⓈ-M "Websocket Market Streams" and "User Data
 * Streams"), on the HTTP server's port, put together from streams/:
 *
 * - connecting (upgrade.ts): `/ws/<stream>`, `/stream?streams=<a>/<b>`, `/ws` alone; the
 *   connection and stream caps; each incoming message at most `maxIncomingMessageBytes` (beyond:
 *   closed with 1009 as soon as the frame header announces it, before the payload is read);
 * - the client's messages (controlMessages.ts): SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS,
 *   SET_PROPERTY, GET_PROPERTY, at most `maxIncomingMessagesPerS` a second;
 * - who is subscribed to what (hub.ts), and how a payload reaches them (connection.ts: a slow
 *   reader is dropped);
 * - the feeds: depth (depthFeeds.ts), liquidations (forceOrders.ts), user data (userData.ts,
 *   its events in userEvents.ts); the keep-alive pings and pong timeouts (keepAlive.ts).
 *
 * Market feeds are pushed from one shared timer, never per event. User events go out as the
 * engine reports them, only for accounts with a connected stream. The venue is read through a
 * getter: after /__stampede/reset the feeds follow the new venue.
 */

/** Shared timer of every feed: depth slots (100 ms at the finest), forceOrder windows, key expiry, margin calls. */
const STREAM_TICK_MS = 25;

export interface StreamServer {
  /** Open WebSocket connections. */
  connections(): number;
  /** Stops the timer and terminates every connection. */
  close(): void;
}

export function attachStreams(server: Server, getVenue: () => Venue, now: () => number): StreamServer {
  // The message cap is read once: the server outlives resets, and a reset changes no stream limit.
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: getVenue().config.streams.maxIncomingMessageBytes,
  });
  const keepAlive = new KeepAlive(getVenue().config, now());
  const hub = new StreamHub(getVenue, now);
  const forceOrders = new ForceOrderFeed();
  const unsubscribe = hub.unsubscribe.bind(hub);

  // One round of the shared timer, in this order: keep-alive, liquidations, depth, user streams.
  function tick(): void {
    const v = hub.current();
    const t = now();
    keepAlive.round(hub.conns, v.config, t);
    forceOrders.push(v, t, hub.market);
    hub.depth.push(v, t, hub.market);
    hub.userData.tick(v, t, unsubscribe);
  }

  const interval = setInterval(() => guarded(tick), STREAM_TICK_MS);
  interval.unref();
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    acceptUpgrade(hub, wss, req, socket, head);
  server.on("upgrade", onUpgrade);

  return {
    connections: () => hub.conns.size,
    close: () => {
      clearInterval(interval);
      server.off("upgrade", onUpgrade);
      for (const conn of hub.conns) conn.ws.terminate();
      hub.conns.clear();
      wss.close();
    },
  };
}
