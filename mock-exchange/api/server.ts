import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { faultProblems } from "../../loadtests/lib/plan.ts";
import { rejectReason } from "../../loadtests/lib/reasons.ts";
import type { TrafficClass } from "../../reports/model.ts";
import { CAPACITY_TICK_MS, closeCapacitySecond } from "../capacity/model.ts";
import { resolveStrategy } from "../capacity/strategies.ts";
import type { FaultSpec } from "../capacity/types.ts";
import { EXCHANGE_DEFAULTS, type ExchangeConfig } from "../defaults.ts";
import { isPriority, type ParsedRequest, Venue } from "../venue.ts";
import { verifySigned } from "./auth.ts";
import { DeferredQueue } from "./deferred.ts";
import { ApiError, ERR, type ExchangeErrorSpec, errorBody } from "./errors.ts";
import { ExchangeMetrics, METRICS_CONTENT_TYPE } from "./metrics.ts";
import { openApiDocument } from "./openapi.ts";
import { Params } from "./params.ts";
import { findRoute, type Route, routeWeight } from "./routes.ts";

/**
 * The mock exchange over HTTP: the Binance USDⓈ-M dialect under /fapi, the control plane under
 * /__stampede (never mixed, design.md "Interfaces"). Order of checks per request, as a venue's
 * gateway does it: route -> request weight (429) -> API key (401) -> timestamp and signature (400 -1021/-1022) -> parameters (400) -> capacity
 * (503 shed now, 503 timeout later, or served when the modelled service ends).
 */

interface Pending {
  dueMs: number;
  arrivalMs: number;
  res: ServerResponse;
  request: ParsedRequest | undefined;
  accountId: number;
  trafficClass: TrafficClass | undefined;
  usedWeight: number;
  /** A refusal decided at arrival but answered at dueMs (queue timeout). */
  error: ExchangeErrorSpec | undefined;
}

export interface MockExchange {
  readonly url: string;
  readonly venue: Venue;
  readonly server: Server;
  close(): Promise<void>;
}

export interface StartOptions {
  port?: number;
  host?: string;
  config?: ExchangeConfig;
  now?: () => number;
}

const JSON_HEADERS = { "Content-Type": "application/json" } as const;

export async function startMockExchange(options: StartOptions = {}): Promise<MockExchange> {
  let config = options.config ?? EXCHANGE_DEFAULTS;
  const now = options.now ?? Date.now;
  let venue = new Venue(config, now);
  let closedSeconds = 0;
  // Prometheus metrics (GET /metrics): one object for the exchange's life, across resets.
  const metrics = new ExchangeMetrics();
  metrics.venueStarted(venue, false);

  const deferred = new DeferredQueue<Pending>(now, (p) => respondPending(p));

  function respondPending(p: Pending): void {
    if (p.error !== undefined) {
      const residenceMs = now() - p.arrivalMs;
      venue.timeline.rejectedOne(p.trafficClass, "timeout", residenceMs);
      metrics.completed(p.trafficClass, "timeout", residenceMs);
      send(p.res, p.error.status, errorBody(p.error), p.usedWeight);
      return;
    }
    let status: number;
    let body: string;
    try {
      const outcome = venue.execute(p.request as ParsedRequest, p.accountId);
      status = outcome.status;
      body = outcome.body;
    } catch (err) {
      // An engine bug must be visible as such, not as a modelled rejection.
      console.error("mock exchange: handler failed", err);
      status = ERR.UNKNOWN.status;
      body = errorBody(ERR.UNKNOWN);
    }
    const residenceMs = now() - p.arrivalMs;
    if (status < 400) {
      venue.timeline.servedOne(p.trafficClass, residenceMs);
      metrics.completed(p.trafficClass, "served", residenceMs);
    } else {
      const reason = rejectReason(status, undefined, p.trafficClass) ?? "error";
      venue.timeline.rejectedOne(p.trafficClass, reason, residenceMs);
      metrics.completed(p.trafficClass, reason, residenceMs);
    }
    send(p.res, status, body, p.usedWeight);
  }

  function send(res: ServerResponse, status: number, body: string, usedWeight: number): void {
    if (res.destroyed) return;
    res.writeHead(status, {
      ...JSON_HEADERS,
      "Content-Length": Buffer.byteLength(body),
      "X-MBX-USED-WEIGHT-1M": String(usedWeight),
    });
    res.end(body);
  }

  function refuse(
    res: ServerResponse,
    spec: ExchangeErrorSpec,
    fields?: Record<string, string | number>,
    usedWeight = 0,
  ) {
    send(res, spec.status, errorBody(spec, fields), usedWeight);
  }

  function clientKey(req: IncomingMessage): string {
    if (config.trustProxy) {
      const forwarded = req.headers["x-forwarded-for"];
      const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim();
      if (first) return first;
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
  ): void {
    const reason = rejectReason(spec.status, spec.code, cls) ?? "error";
    venue.timeline.rejectedOne(cls, reason, 0);
    metrics.refused(cls, reason);
    refuse(res, spec, fields, usedWeight);
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
    const decision = venue.limiter.consume(clientKey(req), weight, arrivalMs);
    const usedWeight = decision.usedWeight;
    if (!decision.allowed) {
      res.setHeader("Retry-After", String(decision.retryAfterS));
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
      if (config.auth.requireSignature) {
        try {
          verifySigned(params, query, body, venue.secretOf(found), arrivalMs);
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
    const admission = venue.capacity.admit(arrivalMs, route.serviceClass, isPriority(request));
    switch (admission.outcome) {
      case "overloaded":
        return reject(res, cls, ERR.OVERLOADED, undefined, usedWeight);
      case "unavailable":
        return reject(res, cls, ERR.UNAVAILABLE, undefined, usedWeight);
      case "error":
        return reject(res, cls, ERR.INTERNAL, undefined, usedWeight);
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
      error: timedOut ? ERR.TIMEOUT : undefined,
    });
  }

  function handleControl(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: URLSearchParams,
    body: string,
  ) {
    const json = (status: number, value: unknown) => {
      const body = JSON.stringify(value);
      res.writeHead(status, { ...JSON_HEADERS, "Content-Length": Buffer.byteLength(body) });
      res.end(body);
    };
    if (path === "/__stampede/timeline" && req.method === "GET") {
      const since = Number(query.get("since") ?? 0);
      if (!Number.isFinite(since)) return refuse(res, ERR.INVALID_PARAMETER, { name: "since" });
      const lines = venue.timeline.since(since).map((p) => JSON.stringify(p));
      const body = lines.length > 0 ? `${lines.join("\n")}\n` : "";
      res.writeHead(200, {
        "Content-Type": "application/x-ndjson",
        "Content-Length": Buffer.byteLength(body),
      });
      return res.end(body);
    }
    if (path === "/__stampede/accounts" && req.method === "GET")
      return json(200, { accounts: venue.accounts });
    if (path === "/__stampede/config" && req.method === "GET") {
      return json(200, { config, originMs: venue.originMs });
    }
    if (path === "/__stampede/openapi.json" && req.method === "GET") return json(200, openApiDocument());
    if (path === "/__stampede/reset" && req.method === "POST") {
      // Optional JSON body {strategy?, faults?}: start again with another provisioning strategy
      // or scripted faults (natural seconds from the reset), validated here at the edge.
      let next = config;
      if (body.trim() !== "") {
        let change: { strategy?: unknown; faults?: unknown };
        try {
          change = JSON.parse(body) as typeof change;
        } catch {
          return refuse(res, ERR.INVALID_PARAMETER, { name: "body (JSON)" });
        }
        if (change === null || typeof change !== "object")
          return refuse(res, ERR.INVALID_PARAMETER, { name: "body (JSON object)" });
        if (change.strategy !== undefined) {
          if (typeof change.strategy !== "string")
            return refuse(res, ERR.INVALID_PARAMETER, { name: "strategy" });
          try {
            resolveStrategy(change.strategy, config.capacity.tiers, config.capacity.strategyParams);
          } catch (err) {
            return json(400, { code: ERR.INVALID_PARAMETER.code, msg: (err as Error).message });
          }
          next = { ...next, capacity: { ...next.capacity, strategy: change.strategy } };
        }
        if (change.faults !== undefined) {
          if (!Array.isArray(change.faults)) return refuse(res, ERR.INVALID_PARAMETER, { name: "faults" });
          const problems = faultProblems(change.faults as FaultSpec[]);
          if (problems.length > 0)
            return json(400, { code: ERR.INVALID_PARAMETER.code, msg: problems.join("; ") });
          next = { ...next, faults: change.faults as FaultSpec[] };
        }
      }
      for (const p of deferred.clear()) p.res.destroy();
      config = next;
      venue = new Venue(config, now);
      closedSeconds = 0;
      metrics.venueStarted(venue, true);
      return json(200, {
        originMs: venue.originMs,
        strategy: config.capacity.strategy,
        faults: config.faults,
      });
    }
    return refuse(res, ERR.NOT_FOUND, { path });
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

  const server = createServer((req, res) => {
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
  });
  server.keepAliveTimeout = 65_000;

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
    capacity.tick(t);
  }, CAPACITY_TICK_MS);
  tick.unref();

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.address}:${address.port}`;

  return {
    url,
    get venue() {
      return venue;
    },
    server,
    close: async () => {
      clearInterval(tick);
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
    done(false, Buffer.concat(chunks).toString("utf8"));
  });
}
