import { randomBytes } from "node:crypto";
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from "node:http";
import type { AddressInfo } from "node:net";
import { faultProblems } from "../../loadtests/vocabulary/capacity.ts";
import { marketEventProblems } from "../../loadtests/vocabulary/marketEvents.ts";
import { rejectReason, type TrafficClass } from "../../loadtests/vocabulary/traffic.ts";
import { CAPACITY_TICK_MS, closeCapacitySecond } from "../capacity/model.ts";
import { resolveStrategy } from "../capacity/strategies.ts";
import type { FaultSpec } from "../capacity/types.ts";
import { EXCHANGE_DEFAULTS, type ExchangeConfig } from "../defaults.ts";
import type { MarketEvent } from "../marketEvents.ts";
import { isPriority, type ParsedRequest, provisionAccountKeys, Venue } from "../venue.ts";
import { verifySigned } from "./auth.ts";
import { ControlAccess, controlTokenProblem, LEASE_HEADER, newControlToken } from "./control.ts";
import { DeferredQueue } from "./deferred.ts";
import { ApiError, ERR, type ExchangeErrorSpec, errorBody } from "./errors.ts";
import { ExchangeMetrics, METRICS_CONTENT_TYPE } from "./metrics.ts";
import { openApiDocument } from "./openapi.ts";
import { Params } from "./params.ts";
import { findRoute, type Route, routeWeight } from "./routes.ts";
import { attachStreams } from "./streams.ts";

/**
 * The mock exchange over HTTP: the Binance USDⓈ-M dialect under /fapi, the control plane under
 * /__stampede (never mixed, design.md "Interfaces"). Order of checks per request, as a venue's
 * gateway does it: route -> IP ban (418) -> request weight (429 -1003; past the tolerated refusals a
 * 418 that starts a ban) -> API key (401) -> timestamp and signature (400 -1021/-1022) -> parameters
 * (400) -> order counts per account for order-placing routes (429 -1015) -> capacity (503 shed now,
 * 503 timeout later, or served when the modelled service ends). Ban and weight are one call
 * (limits/ipLimiter.ts), the one the per-request simulator makes. The raw query/body is split into
 * parameters before the ban check only because a route's weight can depend on them (depth limit).
 */

interface Pending {
  dueMs: number;
  arrivalMs: number;
  res: ServerResponse;
  request: ParsedRequest | undefined;
  accountId: number;
  trafficClass: TrafficClass | undefined;
  usedWeight: number;
  /** Order counts for the X-MBX-ORDER-COUNT-10S / -1M headers; -1 when the route places no order. */
  orders10s: number;
  orders1m: number;
  /** A refusal decided at arrival but answered at dueMs (queue timeout). */
  error: ExchangeErrorSpec | undefined;
}

export interface MockExchange {
  readonly url: string;
  readonly venue: Venue;
  readonly server: Server;
  /** The token every control-plane request must carry (`Authorization: Bearer <token>`). */
  readonly controlToken: string;
  /** Random per start: changes when the process behind the URL is another one. */
  readonly instanceId: string;
  close(): Promise<void>;
}

export interface StartOptions {
  port?: number;
  host?: string;
  config?: ExchangeConfig;
  now?: () => number;
  /** The control plane's token; default a fresh random one (control.ts newControlToken). */
  controlToken?: string | undefined;
}

/** The control plane's paths and the methods each answers; anything else is 404. */
const CONTROL_METHODS: Record<string, readonly string[]> = {
  "/__stampede/accounts": ["GET"],
  "/__stampede/config": ["GET"],
  "/__stampede/timeline": ["GET"],
  "/__stampede/openapi.json": ["GET"],
  "/__stampede/reset": ["POST"],
  "/__stampede/lease": ["POST", "PUT", "DELETE"],
};

const isoOf = (ms: number) => new Date(ms).toISOString();

const JSON_CONTENT_TYPE = "application/json";
const JSON_HEADERS = { "Content-Type": JSON_CONTENT_TYPE } as const;

export async function startMockExchange(options: StartOptions = {}): Promise<MockExchange> {
  let config = options.config ?? EXCHANGE_DEFAULTS;
  const now = options.now ?? Date.now;
  // Keys and secrets once per instance (random unless config.secretsSeed): a reset keeps them, so
  // clients that read /__stampede/accounts stay valid; another instance never shares them.
  const accountKeys = provisionAccountKeys(config, config.accounts);
  let venue = new Venue(config, now, accountKeys);
  let closedSeconds = 0;
  // Prometheus metrics (GET /metrics): one object for the exchange's life, across resets.
  const metrics = new ExchangeMetrics();
  metrics.venueStarted(venue, false);

  const deferred = new DeferredQueue<Pending>(now, (p) => respondPending(p));
  const controlToken = options.controlToken ?? newControlToken();
  const tokenProblem = controlTokenProblem(controlToken);
  if (tokenProblem !== undefined) throw new Error(tokenProblem);
  const access = new ControlAccess(controlToken, now);
  // Names this process's exchange: a drill that sees another id (or another originMs) knows the
  // venue it was loading restarted or was reset under it.
  const instanceId = randomBytes(8).toString("hex");
  let resets = 0;

  function respondPending(p: Pending): void {
    if (p.error !== undefined) {
      const residenceMs = now() - p.arrivalMs;
      venue.timeline.rejectedOne(p.trafficClass, "timeout", residenceMs);
      metrics.completed(p.trafficClass, "timeout", residenceMs);
      send(p.res, p.error.status, errorBody(p.error), p.usedWeight, p.orders10s, p.orders1m);
      return;
    }
    serve(
      p.res,
      p.request as ParsedRequest,
      p.accountId,
      p.trafficClass,
      p.arrivalMs,
      p.usedWeight,
      p.orders10s,
      p.orders1m,
    );
  }

  /** Executes an admitted request and answers it (capacity model off: at once, no Pending made). */
  function serve(
    res: ServerResponse,
    request: ParsedRequest,
    accountId: number,
    cls: TrafficClass | undefined,
    arrivalMs: number,
    usedWeight: number,
    orders10s: number,
    orders1m: number,
  ): void {
    let status: number;
    let body: string;
    try {
      const outcome = venue.execute(request, accountId);
      status = outcome.status;
      body = outcome.body;
    } catch (err) {
      // An engine bug must be visible as such, not as a modelled rejection.
      console.error("mock exchange: handler failed", err);
      status = ERR.UNKNOWN.status;
      body = errorBody(ERR.UNKNOWN);
    }
    const residenceMs = now() - arrivalMs;
    if (status < 400) {
      venue.timeline.servedOne(cls, residenceMs);
      metrics.completed(cls, "served", residenceMs);
    } else {
      const reason = rejectReason(status, undefined, cls) ?? "error";
      venue.timeline.rejectedOne(cls, reason, residenceMs);
      metrics.completed(cls, reason, residenceMs);
    }
    send(res, status, body, usedWeight, orders10s, orders1m);
  }

  /** orders10s / orders1m: the account's order counts, sent on order-placing routes only (-1: none). */
  function send(
    res: ServerResponse,
    status: number,
    body: string,
    usedWeight: number,
    orders10s = -1,
    orders1m = -1,
  ): void {
    if (res.destroyed) return;
    // One flat [name, value, ...] list given to writeHead alone: Node writes it out as it is,
    // without setHeader's per-header map (node:http "response.writeHead": headers may be an
    // array); ~7 µs less per response than setHeader + an object (http_order_rps). A
    // Retry-After set before (refusals) still goes first: writeHead then merges the list in.
    const length = String(Buffer.byteLength(body));
    const weight = String(usedWeight);
    res.writeHead(
      status,
      orders10s >= 0
        ? [
            "X-MBX-ORDER-COUNT-10S",
            String(orders10s),
            "X-MBX-ORDER-COUNT-1M",
            String(orders1m),
            "Content-Type",
            JSON_CONTENT_TYPE,
            "Content-Length",
            length,
            "X-MBX-USED-WEIGHT-1M",
            weight,
          ]
        : ["Content-Type", JSON_CONTENT_TYPE, "Content-Length", length, "X-MBX-USED-WEIGHT-1M", weight],
    );
    res.end(body);
  }

  function refuse(
    res: ServerResponse,
    spec: ExchangeErrorSpec,
    fields?: Record<string, string | number>,
    usedWeight = 0,
    orders10s = -1,
    orders1m = -1,
  ) {
    send(res, spec.status, errorBody(spec, fields), usedWeight, orders10s, orders1m);
  }

  function clientKey(req: IncomingMessage): string {
    if (config.trustProxy) {
      const forwarded = req.headers["x-forwarded-for"];
      const list = Array.isArray(forwarded) ? forwarded[0] : forwarded;
      if (list !== undefined) {
        const comma = list.indexOf(",");
        const first = (comma < 0 ? list : list.slice(0, comma)).trim();
        if (first) return first;
      }
    }
    return req.socket.remoteAddress ?? "unknown";
  }

  /** A refusal decided at the edge, answered at once and counted in the timeline. */
  function reject(
    res: ServerResponse,
    cls: TrafficClass | undefined,
    spec: ExchangeErrorSpec,
    fields?: Record<string, string | number>,
    usedWeight = 0,
    orders10s = -1,
    orders1m = -1,
  ): void {
    const reason = rejectReason(spec.status, spec.code, cls) ?? "error";
    venue.timeline.rejectedOne(cls, reason, 0);
    metrics.refused(cls, reason);
    refuse(res, spec, fields, usedWeight, orders10s, orders1m);
  }

  function handleExchange(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    query: string,
    body: string,
  ) {
    const arrivalMs = now();
    const cls = route.trafficClass;
    venue.timeline.arrival(cls);
    metrics.request(cls);
    let params: Params;
    try {
      params = new Params(query, body);
    } catch (err) {
      if (err instanceof ApiError) return reject(res, cls, err.spec, err.fields);
      throw err;
    }
    const weight = routeWeight(route, params);
    const ip = clientKey(req);
    const decision = venue.limiter.admit(ip, weight, arrivalMs);
    const usedWeight = decision.usedWeight;
    if (decision.outcome !== "allowed") {
      res.setHeader("Retry-After", String(decision.retryAfterS));
      if (decision.outcome === "banned")
        return reject(res, cls, ERR.BANNED, { ip, until: decision.bannedUntilMs }, usedWeight);
      return reject(res, cls, ERR.TOO_MANY_REQUESTS, { limit: venue.limiter.limit }, usedWeight);
    }
    let accountId = 0;
    if (route.keyed) {
      const header = req.headers["x-mbx-apikey"];
      const key = Array.isArray(header) ? header[0] : header;
      if (key === undefined || key === "") return reject(res, cls, ERR.API_KEY_FORMAT, undefined, usedWeight);
      const found = venue.accountForKey(key);
      if (found === undefined) return reject(res, cls, ERR.INVALID_API_KEY, undefined, usedWeight);
      accountId = found;
      if (config.auth.requireSignature && route.signed !== false) {
        try {
          verifySigned(params, query, body, venue.signingKeyOf(found), arrivalMs);
        } catch (err) {
          if (err instanceof ApiError) return reject(res, cls, err.spec, err.fields, usedWeight);
          throw err;
        }
      }
    }
    let request: ParsedRequest;
    try {
      request = venue.parse(route.name, params, accountId);
    } catch (err) {
      if (err instanceof ApiError) return reject(res, cls, err.spec, err.fields, usedWeight);
      throw err;
    }
    let orders10s = -1;
    let orders1m = -1;
    if (route.orders !== undefined) {
      const o = venue.orderLimiter.consume(accountId, route.orders, arrivalMs, route.orders1m);
      orders10s = o.count10s;
      orders1m = o.count1m;
      if (!o.allowed) {
        res.setHeader("Retry-After", String(o.retryAfterS));
        const fields = { limit: o.limit, interval: o.interval };
        return reject(res, cls, ERR.TOO_MANY_ORDERS, fields, usedWeight, orders10s, orders1m);
      }
    }
    if (!config.capacity.enabled) {
      // Capacity model off (defaults.ts `capacity.enabled`; benchmarks of the HTTP stack only):
      // no modelled service, executed and answered now, with no timer in between.
      venue.timeline.admittedOne(0);
      return serve(res, request, accountId, cls, arrivalMs, usedWeight, orders10s, orders1m);
    }
    const admission = venue.capacity.admit(arrivalMs, route.serviceClass, isPriority(request));
    switch (admission.outcome) {
      case "overloaded":
        return reject(res, cls, ERR.OVERLOADED, undefined, usedWeight, orders10s, orders1m);
      case "unavailable":
        return reject(res, cls, ERR.UNAVAILABLE, undefined, usedWeight, orders10s, orders1m);
      case "error":
        return reject(res, cls, ERR.INTERNAL, undefined, usedWeight, orders10s, orders1m);
    }
    const timedOut = admission.outcome === "timeout";
    if (!timedOut) venue.timeline.admittedOne(venue.capacity.queueDepth(route.serviceClass, arrivalMs));
    deferred.push({
      dueMs: admission.dueMs,
      arrivalMs,
      res,
      request: timedOut ? undefined : request,
      accountId,
      trafficClass: cls,
      usedWeight,
      orders10s,
      orders1m,
      error: timedOut ? ERR.TIMEOUT : undefined,
    });
  }

  /**
   * The control plane. Unknown paths answer 404 as the dialect does; every known one but the
   * OpenAPI document (public) needs the instance's control token (401 -9901), and while a drill
   * holds the venue's lease a request that changes it needs the lease too (409 -9902).
   */
  function handleControl(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: URLSearchParams,
    body: string,
  ) {
    const method = req.method ?? "GET";
    const known = CONTROL_METHODS[path];
    if (known === undefined || !known.includes(method)) return refuse(res, ERR.NOT_FOUND, { path });
    if (path === "/__stampede/openapi.json") return controlJson(res, 200, openApiDocument());
    if (!access.authorized(req.headers.authorization)) {
      res.setHeader("WWW-Authenticate", 'Bearer realm="stampede control plane"');
      return refuse(res, ERR.CONTROL_UNAUTHORIZED);
    }
    const header = req.headers[LEASE_HEADER];
    const leaseId = Array.isArray(header) ? header[0] : header;
    if (path === "/__stampede/lease") return handleLease(res, method, leaseId);
    if (path === "/__stampede/timeline") {
      const since = Number(query.get("since") ?? 0);
      if (!Number.isFinite(since)) return refuse(res, ERR.INVALID_PARAMETER, { name: "since" });
      const lines = venue.timeline.since(since).map((p) => JSON.stringify(p));
      const text = lines.length > 0 ? `${lines.join("\n")}\n` : "";
      res.writeHead(200, {
        "Content-Type": "application/x-ndjson",
        "Content-Length": Buffer.byteLength(text),
        ...instanceHeaders(),
      });
      return res.end(text);
    }
    if (path === "/__stampede/accounts") return controlJson(res, 200, { accounts: venue.accounts });
    if (path === "/__stampede/config") return controlJson(res, 200, { config, ...instanceState() });
    // Only reset is left: it changes the venue, so a lease in force must be presented.
    const held = access.blocking(leaseId);
    if (held !== undefined) return refuse(res, ERR.CONTROL_LEASED, { until: isoOf(held.expiresAtMs) });
    return handleReset(req, res, body);
  }

  /** Which venue answered: the instance and the current venue's start, so a drill sees a reset it did not make. */
  function instanceState() {
    return { instanceId, originMs: venue.originMs, resets };
  }

  function instanceHeaders(): Record<string, string> {
    return { "X-Stampede-Instance": instanceId, "X-Stampede-Origin-Ms": String(venue.originMs) };
  }

  function controlJson(res: ServerResponse, status: number, value: unknown): void {
    const text = JSON.stringify(value);
    res.writeHead(status, { ...JSON_HEADERS, "Content-Length": Buffer.byteLength(text) });
    res.end(text);
  }

  /** POST takes the venue's lease (or renews the caller's), PUT renews it, DELETE gives it up. */
  function handleLease(res: ServerResponse, method: string, leaseId: string | undefined) {
    const outcome =
      method === "POST"
        ? access.acquire(leaseId)
        : method === "PUT"
          ? access.renew(leaseId)
          : access.release(leaseId);
    if (!outcome.ok) {
      if (method === "POST" && outcome.held !== undefined)
        return refuse(res, ERR.CONTROL_LEASED, { until: isoOf(outcome.held.expiresAtMs) });
      return refuse(res, ERR.LEASE_NOT_HELD, { lease: leaseId ?? "(none given)" });
    }
    controlJson(res, 200, {
      leaseId: outcome.lease.id,
      expiresAtMs: outcome.lease.expiresAtMs,
      ttlMs: access.ttlMs,
      ...instanceState(),
    });
  }

  /**
   * Optional JSON object body {strategy?, faults?, marketEvents?}: start again with another
   * provisioning strategy, scripted faults or price shocks (natural seconds from the reset),
   * validated here at the edge. A body must say it is JSON and be an object (not an array).
   */
  function handleReset(req: IncomingMessage, res: ServerResponse, body: string) {
    const refuseBody = (name: string) => refuse(res, ERR.INVALID_PARAMETER, { name });
    const problem = (msg: string) => controlJson(res, 400, { code: ERR.INVALID_PARAMETER.code, msg });
    let next = config;
    if (body.trim() !== "") {
      const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
      if (type !== JSON_CONTENT_TYPE) return refuseBody("Content-Type (application/json)");
      let change: { strategy?: unknown; faults?: unknown; marketEvents?: unknown };
      try {
        change = JSON.parse(body) as typeof change;
      } catch {
        return refuseBody("body (JSON)");
      }
      if (change === null || typeof change !== "object" || Array.isArray(change))
        return refuseBody("body (JSON object)");
      if (change.strategy !== undefined) {
        if (typeof change.strategy !== "string") return refuseBody("strategy");
        try {
          resolveStrategy(change.strategy, config.capacity.tiers, config.capacity.strategyParams);
        } catch (err) {
          return problem((err as Error).message);
        }
        next = { ...next, capacity: { ...next.capacity, strategy: change.strategy } };
      }
      if (change.faults !== undefined) {
        if (!Array.isArray(change.faults)) return refuseBody("faults");
        const problems = faultProblems(change.faults as FaultSpec[]);
        if (problems.length > 0) return problem(problems.join("; "));
        next = { ...next, faults: change.faults as FaultSpec[] };
      }
      if (change.marketEvents !== undefined) {
        const symbols = config.symbols.map((s) => s.symbol);
        const problems = marketEventProblems(change.marketEvents, symbols);
        if (problems.length > 0) return problem(problems.join("; "));
        next = { ...next, marketEvents: change.marketEvents as MarketEvent[] };
      }
    }
    for (const p of deferred.clear()) p.res.destroy();
    config = next;
    venue = new Venue(config, now, accountKeys);
    closedSeconds = 0;
    resets++;
    metrics.venueStarted(venue, true);
    controlJson(res, 200, {
      originMs: venue.originMs,
      strategy: config.capacity.strategy,
      faults: config.faults,
      marketEvents: config.marketEvents,
      instanceId,
      resets,
    });
  }

  function serveMetrics(res: ServerResponse): void {
    metrics.scrape().then(
      (text) => {
        res.writeHead(200, {
          "Content-Type": METRICS_CONTENT_TYPE,
          "Content-Length": Buffer.byteLength(text),
        });
        res.end(text);
      },
      (err: unknown) => {
        console.error("mock exchange: /metrics failed", err);
        refuse(res, ERR.UNKNOWN);
      },
    );
  }

  const listener = config.listener;
  const server = createServer(
    {
      headersTimeout: listener.headersTimeoutMs,
      requestTimeout: listener.requestTimeoutMs,
      // Checked in onRequest instead, so that the refusal has a dialect body (Node's is empty).
      requireHostHeader: false,
      // Node checks the two timeouts on this interval: a tenth of the shorter keeps a slow socket
      // from outliving its timeout by more than 10%.
      connectionsCheckingInterval: Math.max(
        10,
        Math.min(listener.headersTimeoutMs, listener.requestTimeoutMs) / 10,
      ),
    },
    onRequest,
  );
  server.keepAliveTimeout = listener.keepAliveTimeoutMs;
  server.maxConnections = listener.maxConnections;

  function onRequest(req: IncomingMessage, res: ServerResponse) {
    // Node's parser takes a request line without a version (`GET /`, HTTP/0.9) or with any
    // `HTTP/d.d`, and would answer it as HTTP/1.1; the venue speaks 1.0 and 1.1 only.
    if (req.httpVersionMajor !== 1) {
      res.setHeader("Connection", "close");
      return refuse(res, ERR.HTTP_VERSION_NOT_SUPPORTED, { version: req.httpVersion });
    }
    if (req.httpVersionMinor === 1 && req.headers.host === undefined) {
      res.setHeader("Connection", "close");
      return refuse(res, ERR.MALFORMED_REQUEST);
    }
    const rawUrl = req.url ?? "/";
    const q = rawUrl.indexOf("?");
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = q < 0 ? "" : rawUrl.slice(q + 1);
    const method = req.method ?? "GET";
    // Prometheus scrape, next to the control plane: not exchange traffic, no weight, no timeline.
    if (path === "/metrics" && method === "GET") return serveMetrics(res);
    if (path.startsWith("/__stampede/")) {
      readBody(req, config.maxBodyBytes, (tooLarge, body) => {
        if (tooLarge) return refuse(res, ERR.PAYLOAD_TOO_LARGE, { max: config.maxBodyBytes });
        handleControl(req, res, path, new URLSearchParams(query), body);
      });
      return;
    }
    const route = findRoute(method, path);
    if (route === undefined) return refuse(res, ERR.NOT_FOUND, { path });
    if (route === "method") return refuse(res, ERR.METHOD_NOT_ALLOWED, { method, path });
    if (method === "GET") return handleExchange(req, res, route, query, "");
    readBody(req, config.maxBodyBytes, (tooLarge, body) => {
      if (tooLarge) return refuse(res, ERR.PAYLOAD_TOO_LARGE, { max: config.maxBodyBytes });
      handleExchange(req, res, route, query, body);
    });
  }

  // What Node's parser refuses before a request exists (malformed request line or headers, headers
  // over the 16 KiB limit, a request not received in time) gets a dialect body like every other
  // refusal instead of Node's empty one; same statuses and the same rule as Node's default handler
  // (lib/_http_server.js socketOnError): answer unless a response already started on this socket
  // (keep-alive), then close it.
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    const inFlight = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
    if (socket.writable && (inFlight == null || !inFlight.headersSent)) {
      const spec =
        err.code === "HPE_HEADER_OVERFLOW"
          ? ERR.HEADERS_TOO_LARGE
          : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
            ? ERR.REQUEST_TIMEOUT
            : ERR.MALFORMED_REQUEST;
      const body = errorBody(spec);
      socket.end(
        `HTTP/1.1 ${spec.status} ${STATUS_CODES[spec.status]}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    } else {
      socket.destroy();
    }
  });

  // One shared tick moves the provisioning loop and closes each wall second of the timeline
  // (no per-request timers).
  const tick = setInterval(() => {
    const t = now();
    const capacity = venue.capacity;
    while (venue.originMs + (closedSeconds + 1) * 1000 <= t) {
      const endMs = venue.originMs + (closedSeconds + 1) * 1000;
      const point = venue.timeline.closeSecond(
        closedSeconds,
        closeCapacitySecond(capacity, venue.replica, endMs, closedSeconds),
      );
      metrics.second(point);
      closedSeconds++;
    }
    // Market-event steps due with no request to carry them (Venue.advanceMarket), in the open second.
    venue.advanceMarket(t);
    capacity.tick(t);
  }, CAPACITY_TICK_MS);
  tick.unref();
  // WebSocket streams on the same port (/ws/<stream>, /stream?streams=...); they follow a reset venue.
  const streams = attachStreams(server, () => venue, now);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  return {
    url,
    get venue() {
      return venue;
    },
    server,
    controlToken,
    instanceId,
    close: async () => {
      clearInterval(tick);
      streams.close();
      for (const p of deferred.clear()) p.res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Collects a request body up to maxBytes; past that, answers once with tooLarge and drops the rest. */
function readBody(
  req: IncomingMessage,
  maxBytes: number,
  done: (tooLarge: boolean, body: string) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  req.on("data", (chunk: Buffer) => {
    if (finished) return;
    size += chunk.length;
    if (size > maxBytes) {
      finished = true;
      done(true, "");
      req.resume();
      return;
    }
    chunks.push(chunk);
  });
  req.on("end", () => {
    if (finished) return;
    finished = true;
    // A body in one chunk (the usual order) is decoded as it is: no copy into a concatenated buffer.
    const only = chunks.length === 1 ? chunks[0] : undefined;
    done(false, (only ?? Buffer.concat(chunks)).toString("utf8"));
  });
}
