import { type IncomingMessage, type Server, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import type { ExchangeConfig } from "../defaults.ts";
import type {
  AccountSummary,
  ExecutionType,
  LiquidationEvent,
  Order,
  OrderFillInfo,
  Position,
  SymbolSpec,
} from "../engine/types.ts";
import type { ForceOrderSnapshot } from "../forceOrderThrottle.ts";
import type { Venue } from "../venue.ts";
import { ERR, errorBody, WS_ERR } from "./errors.ts";
import { formatUnits } from "./params.ts";

/**
 * The venue's WebSocket streams (Binance USDⓈ-M "Websocket Market Streams" and "User Data
 * Streams"), on the HTTP server's port:
 *
 * - `/ws/<stream>` (raw payloads), `/stream?streams=<a>/<b>` (each wrapped as `{"stream","data"}`),
 *   `/ws` alone to subscribe later; SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY and
 *   GET_PROPERTY ("combined") messages, at most `maxIncomingMessagesPerS` a second (beyond:
 *   disconnected), each at most `maxIncomingMessageBytes` (beyond: closed with 1009 as soon as
 *   the frame header announces it, before the payload is read), and `maxStreamsPerConnection`
 *   streams. At most `maxConnections` connections at once: past it an upgrade gets 503.
 * - A ping frame every `pingIntervalNaturalMs` and a close for a connection that sent no pong
 *   (asked for or not) within `pongTimeoutNaturalMs`, as Binance does (every 3 minutes, 10
 *   minutes); both compressed by the time scale like a listenKey's validity (keepAliveMs).
 * - `<symbol>@forceOrder`, `!forceOrder@arr`: one snapshot per symbol per `forceOrderThrottleMs`
 *   carrying the window's latest liquidation (the venue's throttle, forceOrderThrottle.ts).
 * - `<symbol>@depth[@100ms|@250ms|@500ms]`: diff updates (`U`, `u`, `pu` from the book's update
 *   ids) of the top 1000 levels, the most REST depth gives: a level that leaves them is sent with
 *   quantity 0, as a client holding a 1000-level snapshot needs it. `<symbol>@depth<5|10|20>[@..]`:
 *   the top levels, same fields. Pushed when the book changed; `depthIntervalMs` without suffix.
 * - `<listenKey>` (the user data stream): ORDER_TRADE_UPDATE for every order event, ACCOUNT_UPDATE
 *   for every position change, MARGIN_CALL when the margin ratio rises to `marginCallRatio`,
 *   listenKeyExpired when the key lapses (the connection stays open and gets nothing more, as
 *   Binance documents); an unknown or lapsed key is refused at connect with 400 -1125.
 *
 * Market feeds are pushed from one shared timer, never per event. User events go out as the
 * engine reports them (synchronously, like the real stream's "real-time"), only for accounts with
 * a connected stream. The venue is read through a getter: after /__stampede/reset the feeds follow
 * the new venue, and user streams of the old one end (their keys are unknown to the new one).
 */

/** Shared timer of every feed: depth slots (100 ms at the finest), forceOrder windows, key expiry, margin calls. */
const STREAM_TICK_MS = 25;
/** Levels a diff depth feed tracks: the deepest REST snapshot (GET /fapi/v1/depth limit=1000). */
const DIFF_DEPTH_LEVELS = 1000;
const DEPTH_SPEEDS_MS: Record<string, number> = { "100ms": 100, "250ms": 250, "500ms": 500 };
/** How long a socket refused for a bad frame stays open, unread, for its peer to read the close frame. */
const REFUSED_LINGER_MS = 1_000;
/**
 * A client that lets this much pile up unread is dropped rather than buffered without bound. A
 * reader that keeps up has a few frames pending, far below 1 MiB; times the connection cap
 * (1,024) it bounds what slow readers can make the process hold to 1 GiB.
 */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** Maintenance rate the venue shows per position (venue.ts accountInfo: the engine's default 4000 ppm). */
const MAINT_RATE = 0.004;
const CONTROL_METHODS = "SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY";

export interface StreamServer {
  /** Open WebSocket connections. */
  connections(): number;
  /** Stops the timer and terminates every connection. */
  close(): void;
}

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

/** A market stream name, parsed; `listenKey` for a user data stream; undefined when unknown. */
export type StreamRef =
  | { kind: "forceOrder"; symbol: string | undefined }
  | { kind: "depth"; symbol: string; levels: number | undefined; intervalMs: number }
  | { kind: "listenKey" };

/**
 * Parses a stream name as Binance spells it: lowercase symbol, `@forceOrder`, `@depth`,
 * `@depth<5|10|20>`, an optional `@100ms|@250ms|@500ms` speed; `!forceOrder@arr`; anything
 * without `@` that looks like a key is a listenKey (checked against the venue separately).
 */
export function parseStreamName(
  name: string,
  hasSymbol: (symbol: string) => boolean,
  defaultDepthMs: number,
): StreamRef | undefined {
  if (name === "!forceOrder@arr") return { kind: "forceOrder", symbol: undefined };
  if (/^[A-Za-z0-9]{16,128}$/.test(name)) return { kind: "listenKey" };
  const m = /^([a-z0-9]+)@(forceOrder|depth(5|10|20)?(?:@(100ms|250ms|500ms))?)$/.exec(name);
  if (m === null) return undefined;
  const symbol = (m[1] as string).toUpperCase();
  if (!hasSymbol(symbol)) return undefined;
  if (m[2] === "forceOrder") return { kind: "forceOrder", symbol };
  const levels = m[3] === undefined ? undefined : Number(m[3]);
  const intervalMs = m[4] === undefined ? defaultDepthMs : (DEPTH_SPEEDS_MS[m[4]] as number);
  return { kind: "depth", symbol, levels, intervalMs };
}

/** Binance "Margin Ratio" = maintenance margin / margin balance; liquidation at 1. Infinite when nothing is left. */
export function marginRatio(a: Pick<AccountSummary, "maintenanceMargin" | "marginBalance">): number {
  if (a.maintenanceMargin === 0) return 0;
  if (a.marginBalance <= 0) return Number.POSITIVE_INFINITY;
  return a.maintenanceMargin / a.marginBalance;
}

interface Conn {
  ws: WebSocket;
  /** Payloads wrapped as {"stream","data"} (/stream, or SET_PROPERTY combined). */
  combined: boolean;
  /** Market stream names and listenKeys, as the client spelled them. */
  subs: Set<string>;
  msgWindow: number;
  msgCount: number;
  /** Venue ms of the last pong received (or of the connect). */
  lastPongMs: number;
  /** Venue ms of the last ping sent; -Infinity before the first. */
  lastPingMs: number;
}

/** One market depth stream's state, shared by its subscribers. */
interface DepthFeed {
  symbol: string;
  spec: SymbolSpec;
  levels: number | undefined;
  intervalMs: number;
  lastSlot: number;
  /** `u` of the last push (or of the book when the feed started). */
  lastU: number;
  /** Diff feeds: the levels last sent (price ticks -> lots). */
  bids: Map<number, number>;
  asks: Map<number, number>;
}

export function attachStreams(server: Server, getVenue: () => Venue, now: () => number): StreamServer {
  // The message cap is read once: the server outlives resets, and a reset changes no stream limit.
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: getVenue().config.streams.maxIncomingMessageBytes,
  });
  const conns = new Set<Conn>();
  /** Market stream name -> subscribers. */
  const market = new Map<string, Set<Conn>>();
  /** listenKey -> subscribers. */
  const users = new Map<string, Set<Conn>>();
  const depthFeeds = new Map<string, DepthFeed>();
  /** Accounts whose margin call was pushed and whose ratio has not fallen back below the threshold. */
  const marginCalled = new Set<number>();
  const dueScratch: ForceOrderSnapshot<Readonly<LiquidationEvent>>[] = [];
  let venue: Venue | undefined;
  /** The venue whose engine reports order and position events to us (listeners cannot be removed). */
  let listening: Venue | undefined;
  /** Venue ms of the next keep-alive round (pings sent, silent connections closed). */
  let nextPingAtMs = now() + keepAliveMs(getVenue().config).pingIntervalMs;

  function current(): Venue {
    const v = getVenue();
    if (v === venue) return v;
    venue = v;
    marginCalled.clear();
    for (const feed of depthFeeds.values()) startFeed(feed, v, now());
    return v;
  }

  function parse(name: string, v: Venue): StreamRef | undefined {
    return parseStreamName(name, (s) => v.engine.hasSymbol(s), v.config.streams.depthIntervalMs);
  }

  // ---- connecting -----------------------------------------------------------------------

  /** Why a connection to `path` with `names` is refused (status, catalog entry), or undefined to accept. */
  function refusal(
    path: string,
    names: string[] | undefined,
    v: Venue,
    t: number,
  ): { status: number; body: string } | undefined {
    if (names === undefined) return { status: 404, body: errorBody(ERR.NOT_FOUND, { path }) };
    const max = v.config.streams.maxStreamsPerConnection;
    if (names.length > max)
      return { status: 400, body: errorBody(ERR.UNKNOWN_STREAM, { stream: `more than ${max} streams` }) };
    for (const name of names) {
      const ref = parse(name, v);
      if (ref === undefined) return { status: 400, body: errorBody(ERR.UNKNOWN_STREAM, { stream: name }) };
      if (ref.kind === "listenKey" && v.listenKeys.status(name, t) !== "active")
        return { status: 400, body: errorBody(ERR.LISTEN_KEY_NOT_FOUND) };
    }
    return undefined;
  }

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const raw = req.url ?? "/";
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
    const v = current();
    const t = now();
    const max = v.config.streams.maxConnections;
    const refused =
      conns.size >= max
        ? { status: ERR.TOO_MANY_CONNECTIONS.status, body: errorBody(ERR.TOO_MANY_CONNECTIONS, { max }) }
        : refusal(path, names, v, t);
    if (refused !== undefined) {
      socket.end(
        `HTTP/1.1 ${refused.status} ${STATUS_CODES[refused.status]}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(refused.body)}\r\n` +
          `Connection: close\r\n\r\n${refused.body}`,
      );
      return;
    }
    const accepted = names as string[];
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn: Conn = {
        ws,
        combined,
        subs: new Set(),
        msgWindow: -1,
        msgCount: 0,
        lastPongMs: t,
        lastPingMs: Number.NEGATIVE_INFINITY,
      };
      conns.add(conn);
      for (const name of accepted) subscribe(conn, name, v);
      ws.on("message", (data, isBinary) => onMessage(conn, data, isBinary));
      ws.on("close", () => drop(conn));
      // Unsolicited pongs count too (Binance allows them to keep a connection).
      ws.on("pong", () => {
        conn.lastPongMs = now();
      });
      // A reset peer must not take the process down; the close event follows. A frame the
      // receiver refused (past maxIncomingMessageBytes: 1009; malformed: 1002, 1007) has its close
      // frame written by now, and ws would go on reading and discarding whatever the client still
      // sends until the close handshake ends (up to 30 s): all 90 MB of a 90 MB message.
      ws.on("error", () => stopReading(socket));
    });
  }

  function subscribe(conn: Conn, name: string, v: Venue): void {
    if (conn.subs.has(name)) return;
    const ref = parse(name, v) as StreamRef;
    conn.subs.add(name);
    const map = ref.kind === "listenKey" ? users : market;
    let set = map.get(name);
    if (set === undefined) {
      set = new Set();
      map.set(name, set);
    }
    set.add(conn);
    if (ref.kind === "listenKey") listenTo(v);
    if (ref.kind === "depth" && !depthFeeds.has(name)) {
      const feed: DepthFeed = {
        symbol: ref.symbol,
        spec: v.spec(ref.symbol),
        levels: ref.levels,
        intervalMs: ref.intervalMs,
        lastSlot: 0,
        lastU: 0,
        bids: new Map(),
        asks: new Map(),
      };
      startFeed(feed, v, now());
      depthFeeds.set(name, feed);
    }
  }

  function unsubscribe(conn: Conn, name: string): void {
    if (!conn.subs.delete(name)) return;
    for (const map of [market, users]) {
      const set = map.get(name);
      if (set === undefined) continue;
      set.delete(conn);
      if (set.size === 0) {
        map.delete(name);
        depthFeeds.delete(name);
      }
    }
  }

  function drop(conn: Conn): void {
    for (const name of [...conn.subs]) unsubscribe(conn, name);
    conns.delete(conn);
  }

  // ---- control messages -----------------------------------------------------------------

  function onMessage(conn: Conn, data: RawData, isBinary: boolean): void {
    // Binance: "WebSocket connections have a limit of 10 incoming messages per second. A connection
    // that goes beyond the limit will be disconnected."
    const v = current();
    const window = Math.floor(now() / 1000);
    if (window !== conn.msgWindow) {
      conn.msgWindow = window;
      conn.msgCount = 0;
    }
    if (++conn.msgCount > v.config.streams.maxIncomingMessagesPerS) {
      conn.ws.close(1008, "Too many messages");
      return;
    }
    const answer = control(conn, isBinary ? Buffer.from(data as Buffer).toString("utf8") : String(data), v);
    if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(JSON.stringify(answer));
  }

  /** Runs one control message; the answer: `{result, id}` or `{code, msg, id}` (WS_ERR). */
  function control(conn: Conn, text: string, v: Venue): Record<string, unknown> {
    const fail = (spec: { code: number; msg: string }, id: unknown, detail = "") => ({
      code: spec.code,
      msg: spec.msg.replace("{detail}", detail),
      id: id ?? null,
    });
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
    const ok = (result: unknown) => ({ result, id: id ?? null });
    switch (method) {
      case "SUBSCRIBE":
      case "UNSUBSCRIBE": {
        if (!Array.isArray(params) || !params.every((p) => typeof p === "string"))
          return fail(WS_ERR.INVALID_REQUEST, id, "params must be an array of stream names");
        const names = params as string[];
        if (method === "UNSUBSCRIBE") {
          for (const name of names) unsubscribe(conn, name);
          return ok(null);
        }
        // All or nothing. An unknown stream (Binance would accept it and send nothing) or a dead
        // listenKey is refused, so that a client's typo shows.
        const t = now();
        for (const name of names) {
          const ref = parse(name, v);
          if (ref === undefined) return fail(WS_ERR.INVALID_REQUEST, id, `unknown stream ${name}`);
          if (ref.kind === "listenKey" && v.listenKeys.status(name, t) !== "active")
            return fail(WS_ERR.INVALID_REQUEST, id, `listenKey ${name} does not exist`);
        }
        const max = v.config.streams.maxStreamsPerConnection;
        if (conn.subs.size + new Set(names.filter((n) => !conn.subs.has(n))).size > max)
          return fail(WS_ERR.INVALID_REQUEST, id, `more than ${max} streams`);
        for (const name of names) subscribe(conn, name, v);
        return ok(null);
      }
      case "LIST_SUBSCRIPTIONS":
        return ok([...conn.subs]);
      case "SET_PROPERTY":
      case "GET_PROPERTY": {
        const args = Array.isArray(params) ? params : [];
        if (args[0] !== "combined") return fail(WS_ERR.UNKNOWN_PROPERTY, id);
        if (method === "GET_PROPERTY") return ok(conn.combined);
        if (typeof args[1] !== "boolean") return fail(WS_ERR.INVALID_VALUE_TYPE, id);
        conn.combined = args[1];
        return ok(null);
      }
      default:
        return fail(
          WS_ERR.INVALID_REQUEST,
          id,
          `unknown variant ${JSON.stringify(method)}, expected one of ${CONTROL_METHODS}`,
        );
    }
  }

  // ---- sending --------------------------------------------------------------------------

  function push(subscribers: Set<Conn> | undefined, stream: string, payload: string): void {
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

  // ---- market feeds (the shared timer) --------------------------------------------------

  function startFeed(feed: DepthFeed, v: Venue, t: number): void {
    const book = v.engine.depth(feed.symbol, feed.levels ?? DIFF_DEPTH_LEVELS);
    feed.lastU = book.lastUpdateId;
    feed.lastSlot = Math.floor(t / feed.intervalMs);
    feed.bids.clear();
    feed.asks.clear();
    if (feed.levels !== undefined) return;
    for (const [p, q] of book.bids) feed.bids.set(p, q);
    for (const [p, q] of book.asks) feed.asks.set(p, q);
  }

  /** The depthUpdate of a feed whose slot came, or undefined when its book did not change. */
  function depthUpdate(feed: DepthFeed, v: Venue, t: number): string | undefined {
    const book = v.engine.depth(feed.symbol, feed.levels ?? DIFF_DEPTH_LEVELS);
    if (book.lastUpdateId === feed.lastU) return undefined;
    const level = (p: number, q: number) =>
      `["${formatUnits(p, feed.spec.tickSize)}","${formatUnits(q, feed.spec.stepSize)}"]`;
    let b: string[];
    let a: string[];
    if (feed.levels !== undefined) {
      b = book.bids.map(([p, q]) => level(p, q));
      a = book.asks.map(([p, q]) => level(p, q));
    } else {
      b = diffSide(feed.bids, book.bids, level);
      a = diffSide(feed.asks, book.asks, level);
    }
    const pu = feed.lastU;
    feed.lastU = book.lastUpdateId;
    return `{"e":"depthUpdate","E":${t},"T":${t},"s":"${feed.symbol}","U":${pu + 1},"u":${book.lastUpdateId},"pu":${pu},"b":[${b.join(",")}],"a":[${a.join(",")}]}`;
  }

  function forceOrderJson(v: Venue, e: Readonly<LiquidationEvent>, t: number): string {
    const spec = v.spec(e.symbol);
    return JSON.stringify({
      e: "forceOrder",
      E: t,
      o: {
        s: e.symbol,
        S: e.side,
        o: "LIMIT",
        f: "IOC",
        q: formatUnits(e.origLots, spec.stepSize),
        p: formatUnits(e.priceTicks, spec.tickSize),
        ap: (e.avgPriceTicks * Number(spec.tickSize)).toFixed(8),
        // An IOC at the bankruptcy price: what the book did not take expired (and went to ADL).
        X: e.lots === e.origLots ? "FILLED" : "EXPIRED",
        l: formatUnits(e.lots, spec.stepSize),
        z: formatUnits(e.lots, spec.stepSize),
        T: e.time,
      },
    });
  }

  /**
   * Binance's keep-alive: closes the connections that left a ping unanswered and sent no pong
   * for the pong timeout, pings the others. Only after an unanswered ping: a venue clock that
   * jumps (a test's) must not drop a client that answers every ping it gets. A connection is
   * closed between pongTimeoutMs and pongTimeoutMs + pingIntervalMs after its last pong.
   */
  function keepAlive(v: Venue, t: number): void {
    if (t < nextPingAtMs) return;
    const { pingIntervalMs, pongTimeoutMs } = keepAliveMs(v.config);
    nextPingAtMs = t + pingIntervalMs;
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

  function tick(): void {
    const v = current();
    const t = now();
    keepAlive(v, t);
    // Drained whether or not anybody listens: the throttle keeps one pending snapshot per symbol.
    dueScratch.length = 0;
    for (const snap of v.forceOrders.due(t, dueScratch)) {
      const own = market.get(`${snap.symbol.toLowerCase()}@forceOrder`);
      const all = market.get("!forceOrder@arr");
      if (own === undefined && all === undefined) continue;
      const payload = forceOrderJson(v, snap.event, t);
      push(own, `${snap.symbol.toLowerCase()}@forceOrder`, payload);
      push(all, "!forceOrder@arr", payload);
    }
    for (const [name, feed] of depthFeeds) {
      const slot = Math.floor(t / feed.intervalMs);
      if (slot === feed.lastSlot) continue;
      feed.lastSlot = slot;
      const payload = depthUpdate(feed, v, t);
      if (payload !== undefined) push(market.get(name), name, payload);
    }
    for (const [key, set] of users) {
      const status = v.listenKeys.status(key, t);
      if (status === "active") {
        marginCall(v, v.listenKeys.accountOf(key, t) as number, key, set, t);
        continue;
      }
      // Lapsed: say so once, then nothing more on this key. Closed or unknown (DELETE, a reset):
      // the stream ends, and a connection left with no stream is closed.
      if (status === "expired") push(set, key, `{"e":"listenKeyExpired","E":${t},"listenKey":"${key}"}`);
      for (const conn of [...set]) {
        unsubscribe(conn, key);
        if (status === "unknown" && conn.subs.size === 0) conn.ws.close(1000, "listenKey closed");
      }
    }
  }

  // ---- user data streams ----------------------------------------------------------------

  function listenTo(v: Venue): void {
    if (listening === v) return;
    listening = v;
    // These run inside the engine, mid-operation: a failure here must not unwind through it.
    v.engine.onOrderUpdate((type, order, fill) => {
      if (users.size === 0) return;
      const t = now();
      const key = v.listenKeys.keyOf(order.accountId, t);
      const set = key === undefined ? undefined : users.get(key);
      if (set === undefined) return;
      guarded(() => push(set, key as string, orderTradeUpdateJson(v, type, order, fill, t)));
    });
    v.engine.onPositionChange((accountId, position) => {
      if (users.size === 0) return;
      const t = now();
      const key = v.listenKeys.keyOf(accountId, t);
      const set = key === undefined ? undefined : users.get(key);
      if (set === undefined) return;
      guarded(() => push(set, key as string, accountUpdateJson(v, accountId, position, t)));
    });
  }

  function marginCall(v: Venue, accountId: number, key: string, set: Set<Conn>, t: number): void {
    const summary = v.engine.account(accountId);
    const ratio = marginRatio(summary);
    if (ratio < v.config.streams.marginCallRatio) {
      marginCalled.delete(accountId);
      return;
    }
    if (marginCalled.has(accountId)) return;
    marginCalled.add(accountId);
    push(set, key, marginCallJson(v, accountId, summary, t));
  }

  const interval = setInterval(() => guarded(tick), STREAM_TICK_MS);
  interval.unref();
  current();
  server.on("upgrade", onUpgrade);

  return {
    connections: () => conns.size,
    close: () => {
      clearInterval(interval);
      server.off("upgrade", onUpgrade);
      for (const conn of conns) conn.ws.terminate();
      conns.clear();
      wss.close();
    },
  };
}

/** Runs `fn`; a bug in a stream must show, not take the venue down (as api/server.ts does for handlers). */
function guarded(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    console.error("mock exchange: stream failed", err);
  }
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

/** Changed levels of one side since `sent` (which is updated): new quantities, and 0 for levels gone. */
function diffSide(
  sent: Map<number, number>,
  levels: ReadonlyArray<[number, number]>,
  level: (p: number, q: number) => string,
): string[] {
  const out: string[] = [];
  const seen = new Set<number>();
  for (const [p, q] of levels) {
    seen.add(p);
    if (sent.get(p) !== q) {
      sent.set(p, q);
      out.push(level(p, q));
    }
  }
  for (const p of sent.keys()) {
    if (seen.has(p)) continue;
    sent.delete(p);
    out.push(level(p, 0));
  }
  return out;
}

function cashString(v: Venue, units: number): string {
  return (units / 10 ** v.engine.cashDecimals).toFixed(8);
}

/** Open LIMIT orders' remaining notional per side (Binance ORDER_TRADE_UPDATE "b", "a"). */
function openNotional(v: Venue, accountId: number, spec: SymbolSpec): { bids: string; asks: string } {
  let bids = 0;
  let asks = 0;
  for (const o of v.engine.openOrders(accountId, spec.symbol)) {
    if (o.type !== "LIMIT") continue;
    const n = (o.origLots - o.executedLots) * o.priceTicks;
    if (o.side === "BUY") bids += n;
    else asks += n;
  }
  const unit = Number(spec.tickSize) * Number(spec.stepSize);
  return { bids: (bids * unit).toFixed(8), asks: (asks * unit).toFixed(8) };
}

/**
 * ORDER_TRADE_UPDATE (Binance USDⓈ-M "Event: Order Update"). The engine's liquidation orders are
 * `o: LIQUIDATION` with fills as `x: CALCULATED` and client id `autoclose-<id>`, as Binance sends
 * them. Status of a fill: FILLED when it completed the order, else PARTIALLY_FILLED (a remainder
 * that expires gets its own EXPIRED update).
 */
function orderTradeUpdateJson(
  v: Venue,
  type: ExecutionType,
  order: Readonly<Order>,
  fill: Readonly<OrderFillInfo> | undefined,
  t: number,
): string {
  const spec = v.spec(order.symbol);
  const tick = Number(spec.tickSize);
  const executed = fill?.executedLots ?? order.executedLots;
  const quote = fill?.cumQuoteTicksLots ?? order.cumQuoteTicksLots;
  const liquidation = order.liquidation === true;
  let status: string = type;
  if (type === "TRADE") status = executed === order.origLots ? "FILLED" : "PARTIALLY_FILLED";
  else if (type === "AMENDMENT") status = order.status;
  const notional = openNotional(v, order.accountId, spec);
  const orderType = liquidation ? "LIQUIDATION" : order.type;
  return JSON.stringify({
    e: "ORDER_TRADE_UPDATE",
    E: t,
    T: t,
    o: {
      s: order.symbol,
      c: order.clientOrderId,
      S: order.side,
      o: orderType,
      f: order.timeInForce,
      q: formatUnits(order.origLots, spec.stepSize),
      p: formatUnits(order.priceTicks, spec.tickSize),
      ap: (executed > 0 ? (quote / executed) * tick : 0).toFixed(8),
      sp: formatUnits(order.stopPriceTicks ?? 0, spec.tickSize),
      x: type === "TRADE" && liquidation ? "CALCULATED" : type,
      X: status,
      i: order.orderId,
      l: formatUnits(fill?.lots ?? 0, spec.stepSize),
      z: formatUnits(executed, spec.stepSize),
      L: formatUnits(fill?.priceTicks ?? 0, spec.tickSize),
      N: "USDT",
      n: cashString(v, fill?.feeCash ?? 0),
      T: t,
      t: fill?.tradeId ?? 0,
      b: notional.bids,
      a: notional.asks,
      m: fill?.maker ?? false,
      R: order.reduceOnly === true,
      wt: "MARK_PRICE",
      ot: orderType,
      ps: "BOTH",
      cp: order.closePosition === true,
      rp: cashString(v, fill?.realizedCash ?? 0),
      pP: false,
      si: 0,
      ss: 0,
      V: "NONE",
      pm: "NONE",
      gtd: 0,
    },
  });
}

/** ACCOUNT_UPDATE (Binance USDⓈ-M "Event: Balance and Position Update"): the USDT balance and the changed position. */
function accountUpdateJson(v: Venue, accountId: number, p: Readonly<Position>, t: number): string {
  const spec = v.spec(p.symbol);
  const tick = Number(spec.tickSize);
  const step = Number(spec.stepSize);
  const mark = v.engine.markPriceTicks(p.symbol);
  const wallet = cashString(v, v.engine.account(accountId).wallet);
  const unrealized = p.amountLots === 0 ? 0 : p.amountLots * step * (mark - p.entryPriceTicks) * tick;
  return JSON.stringify({
    e: "ACCOUNT_UPDATE",
    E: t,
    T: t,
    a: {
      m: "ORDER",
      // No deposits or transfers on the venue: the balance changes only by PnL and fees.
      B: [{ a: "USDT", wb: wallet, cw: wallet, bc: "0" }],
      P: [
        {
          s: p.symbol,
          pa: formatUnits(p.amountLots, spec.stepSize),
          ep: (p.entryPriceTicks * tick).toFixed(8),
          bep: (p.entryPriceTicks * tick).toFixed(8),
          cr: (p.realizedTicksLots * tick * step).toFixed(8),
          up: unrealized.toFixed(8),
          mt: "cross",
          iw: "0",
          ps: "BOTH",
        },
      ],
    },
  });
}

/** MARGIN_CALL (Binance USDⓈ-M "Event: Margin Call"): the cross wallet and every open position. */
function marginCallJson(v: Venue, accountId: number, a: AccountSummary, t: number): string {
  const positions: Record<string, unknown>[] = [];
  for (const p of v.engine.positions(accountId)) {
    if (p.amountLots === 0) continue;
    const spec = v.spec(p.symbol);
    const tick = Number(spec.tickSize);
    const step = Number(spec.stepSize);
    const mark = v.engine.markPriceTicks(p.symbol);
    positions.push({
      s: p.symbol,
      ps: "BOTH",
      pa: formatUnits(p.amountLots, spec.stepSize),
      mt: "CROSSED",
      iw: "0",
      mp: (mark * tick).toFixed(8),
      up: (p.amountLots * step * (mark - p.entryPriceTicks) * tick).toFixed(8),
      mm: (Math.abs(p.amountLots * step * mark * tick) * MAINT_RATE).toFixed(8),
    });
  }
  return JSON.stringify({ e: "MARGIN_CALL", E: t, cw: cashString(v, a.wallet), p: positions });
}
