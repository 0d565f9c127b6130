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
import {
  type AdmissionRequest,
  type AdmissionState,
  type Admitted,
  decideAdmission,
  QUEUE_TIMEOUT,
  type Refused,
} from "../admission.ts";
import { CAPACITY_TICK_MS, closeCapacitySecond } from "../capacity/model.ts";
import { resolveStrategy } from "../capacity/strategies.ts";
import type { FaultSpec } from "../capacity/types.ts";
import { EXCHANGE_DEFAULTS, type ExchangeConfig } from "../defaults.ts";
import type { MarketEvent } from "../marketEvents.ts";
import { type ParsedRequest, provisionAccountKeys, Venue } from "../venue.ts";
import { ControlAccess, controlTokenProblem, LEASE_HEADER, newControlToken } from "./control.ts";
import { DeferredQueue } from "./deferred.ts";
import { ApiError, ERR, type ExchangeErrorSpec, errorBody } from "./errors.ts";
import { ExchangeMetrics, METRICS_CONTENT_TYPE } from "./metrics.ts";
import { openApiDocument } from "./openapi.ts";
import { Params } from "./params.ts";
import { findRoute, type Route } from "./routes.ts";
import { attachStreams } from "./streams.ts";

/**
 * The mock exchange over HTTP: the Binance USDⓈ-M dialect under /fapi, the control plane under
 * /__stampede (never mixed, design.md "Interfaces"). Past the route, whether a request is taken
 * is decided by admission.ts (decideAdmission, the order of checks with it), the same call the
 * per-request simulator makes.
 */

/** An admitted request waiting for the capacity model's due time (its answer, or its timeout). */
interface Pending {
  dueMs: number;
  res: ServerResponse;
  admitted: Admitted;
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

  const deferred = new DeferredQueue<Pending>(now, (p) => respondPending(p.res, p.admitted));
  const controlToken = options.controlToken ?? newControlToken();
  const tokenProblem = controlTokenProblem(controlToken);
  if (tokenProblem !== undefined) throw new Error(tokenProblem);
  const access = new ControlAccess(controlToken, now);
  // Names this process's exchange: a drill that sees another id (or another originMs) knows the
  // venue it was loading restarted or was reset under it.
  const instanceId = randomBytes(8).toString("hex");
  let resets = 0;

  function respondPending(res: ServerResponse, a: Admitted): void {
    if (a.timedOut) {
      const cls = a.route.trafficClass;
      const residenceMs = now() - a.arrivalMs;
      venue.timeline.rejectedOne(cls, QUEUE_TIMEOUT.reason, residenceMs);
      metrics.completed(cls, QUEUE_TIMEOUT.reason, residenceMs);
      const error = QUEUE_TIMEOUT.error;
      send(res, error.status, errorBody(error), a.usedWeight, a.orders10s, a.orders1m);
      return;
    }
    serve(res, a);
  }

  /** Executes an admitted request and answers it (capacity model off: at once, no Pending made). */
  function serve(res: ServerResponse, a: Admitted): void {
    const cls = a.route.trafficClass;
    let status: number;
    let body: string;
    try {
      const outcome = venue.execute(a.parsed as ParsedRequest, a.accountId);
      status = outcome.status;
      body = outcome.body;
    } catch (err) {
      // An engine bug must be visible as such, not as a modelled rejection.
      console.error("mock exchange: handler failed", err);
      status = ERR.UNKNOWN.status;
      body = errorBody(ERR.UNKNOWN);
    }
    const residenceMs = now() - a.arrivalMs;
    if (status < 400) {
      venue.timeline.servedOne(cls, residenceMs);
      metrics.completed(cls, "served", residenceMs);
    } else {
      const reason = rejectReason(status, undefined, cls) ?? "error";
      venue.timeline.rejectedOne(cls, reason, residenceMs);
      metrics.completed(cls, reason, residenceMs);
    }
    send(res, status, body, a.usedWeight, a.orders10s, a.orders1m);
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

  /** A refusal decided at arrival, answered at once and counted in the timeline. */
  function reject(res: ServerResponse, cls: TrafficClass | undefined, r: Refused): void {
    if (r.retryAfterS > 0) res.setHeader("Retry-After", String(r.retryAfterS));
    venue.timeline.rejectedOne(cls, r.reason, 0);
    metrics.refused(cls, r.reason);
    send(res, r.error.status, errorBody(r.error, r.fields), r.usedWeight, r.orders10s, r.orders1m);
  }

  // The venue's parts decideAdmission reads, made again when a reset replaces the venue.
  let admissionOf: Venue | undefined;
  let admissionState: AdmissionState | undefined;
  function admission(): AdmissionState {
    if (admissionOf !== venue || admissionState === undefined) {
      const v = venue;
      admissionOf = v;
      admissionState = {
        limiter: v.limiter,
        orderLimiter: v.orderLimiter,
        capacity: v.config.capacity.enabled ? v.capacity : undefined,
        verify: v,
        requireSignature: v.config.auth.requireSignature,
      };
    }
    return admissionState;
  }
  // One request object reused: decideAdmission reads it and keeps nothing of it.
  const request: AdmissionRequest = {
    route: undefined as unknown as Route,
    clientKey: "",
    apiKey: undefined,
    accountId: 0,
    params: undefined as unknown as Params,
    query: "",
    body: "",
    arrivalMs: 0,
    priority: false,
  };

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
    request.route = route;
    request.clientKey = clientKey(req);
    request.apiKey = route.keyed ? apiKeyOf(req) : undefined;
    request.params = paramsOf(query, body);
    request.query = query;
    request.body = body;
    request.arrivalMs = arrivalMs;
    const decision = decideAdmission(request, admission());
    if (decision.kind === "refused") return reject(res, cls, decision);
    if (!decision.queued) {
      // Capacity model off (defaults.ts `capacity.enabled`; benchmarks of the HTTP stack only):
      // no modelled service, executed and answered now, with no timer in between.
      venue.timeline.admittedOne(0);
      return serve(res, decision);
    }
    if (!decision.timedOut) venue.timeline.admittedOne(decision.queueDepth);
    deferred.push({ dueMs: decision.dueMs, res, admitted: decision });
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

function apiKeyOf(req: IncomingMessage): string | undefined {
  const header = req.headers["x-mbx-apikey"];
  return Array.isArray(header) ? header[0] : header;
}

/** The raw query and body as parameters, or the dialect error that says why they are not. */
function paramsOf(query: string, body: string): Params | ApiError {
  try {
    return new Params(query, body);
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
}
