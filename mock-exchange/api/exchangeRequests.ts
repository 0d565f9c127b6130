import type { IncomingMessage, ServerResponse } from "node:http";
import { rejectReason, type TrafficClass } from "../../loadtests/vocabulary/traffic.ts";
import {
  type AdmissionRequest,
  type Admitted,
  decideAdmission,
  QUEUE_TIMEOUT,
  type Refused,
} from "../admission.ts";
import type { ParsedRequest } from "../venue.ts";
import { DeferredQueue } from "./deferred.ts";
import { ApiError, ERR, errorBody } from "./errors.ts";
import type { ExchangeInstance } from "./instance.ts";
import type { ExchangeMetrics } from "./metrics.ts";
import { Params } from "./params.ts";
import { send } from "./respond.ts";
import type { Route } from "./routes.ts";

/**
 * The dialect's request path (/fapi): a routed request is admitted or refused by admission.ts
 * (decideAdmission, the same call the per-request simulator makes), executed by the venue and
 * answered, at once or when the capacity model says its service ends. Each outcome is told to
 * the venue (its timeline) and to the metrics.
 *
 * Hot path (http_order_rps): nothing here allocates per request beyond what admission and the
 * venue make (one request object reused, the venue's admission state made once per venue, one
 * Pending per queued request).
 */

/** An admitted request waiting for the capacity model's due time (its answer, or its timeout). */
interface Pending {
  dueMs: number;
  res: ServerResponse;
  admitted: Admitted;
}

export class ExchangeRequests {
  private readonly deferred: DeferredQueue<Pending>;
  /** One request object reused: decideAdmission reads it and keeps nothing of it. */
  private readonly request: AdmissionRequest = {
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

  constructor(
    private readonly instance: ExchangeInstance,
    private readonly metrics: ExchangeMetrics,
    private readonly now: () => number,
  ) {
    this.deferred = new DeferredQueue<Pending>(now, (p) => this.answerDue(p.res, p.admitted));
  }

  /** A routed dialect request with its raw query and body (the signed payload as sent). */
  handle(req: IncomingMessage, res: ServerResponse, route: Route, query: string, body: string) {
    const venue = this.instance.venue;
    const arrivalMs = this.now();
    const cls = route.trafficClass;
    venue.recordArrival(cls);
    this.metrics.request(cls);
    const request = this.request;
    request.route = route;
    request.clientKey = this.clientKey(req);
    request.apiKey = route.keyed ? apiKeyOf(req) : undefined;
    request.params = paramsOf(query, body);
    request.query = query;
    request.body = body;
    request.arrivalMs = arrivalMs;
    const decision = decideAdmission(request, venue.admissionState());
    if (decision.kind === "refused") {
      venue.recordStopRefusal(route.name, request.params, undefined);
      return this.reject(res, cls, decision);
    }
    if (!decision.queued) {
      // Capacity model off (defaults.ts `capacity.enabled`; benchmarks of the HTTP stack only):
      // no modelled service, executed and answered now, with no timer in between.
      venue.recordAdmission(0);
      return this.serve(res, decision);
    }
    if (!decision.timedOut) venue.recordAdmission(decision.queueDepth);
    this.deferred.push({ dueMs: decision.dueMs, res, admitted: decision });
  }

  /** Drops the answers still waiting, closing their connections (a reset, or shutdown). */
  dropPending(): void {
    for (const p of this.deferred.clear()) p.res.destroy();
  }

  /** An admitted request whose due time came: its queue timeout, or its service. */
  private answerDue(res: ServerResponse, a: Admitted): void {
    if (a.timedOut) {
      const cls = a.route.trafficClass;
      const residenceMs = this.now() - a.arrivalMs;
      this.instance.venue.recordRefusal(cls, QUEUE_TIMEOUT.reason, residenceMs);
      this.instance.venue.recordStopRefusal(a.route.name, undefined, a.parsed);
      this.metrics.completed(cls, QUEUE_TIMEOUT.reason, residenceMs);
      const error = QUEUE_TIMEOUT.error;
      send(res, error.status, errorBody(error), a.usedWeight, a.orders10s, a.orders1m);
      return;
    }
    this.serve(res, a);
  }

  /** Executes an admitted request and answers it (capacity model off: at once, no Pending made). */
  private serve(res: ServerResponse, a: Admitted): void {
    const venue = this.instance.venue;
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
    const residenceMs = this.now() - a.arrivalMs;
    if (status < 400) {
      venue.recordServed(cls, residenceMs);
      this.metrics.completed(cls, "served", residenceMs);
    } else {
      const reason = rejectReason(status, undefined, cls) ?? "error";
      venue.recordRefusal(cls, reason, residenceMs);
      this.metrics.completed(cls, reason, residenceMs);
    }
    send(res, status, body, a.usedWeight, a.orders10s, a.orders1m);
  }

  /** A refusal decided at arrival, answered at once and counted in the timeline. */
  private reject(res: ServerResponse, cls: TrafficClass | undefined, r: Refused): void {
    if (r.retryAfterS > 0) res.setHeader("Retry-After", String(r.retryAfterS));
    this.instance.venue.recordRefusal(cls, r.reason, 0);
    this.metrics.refused(cls, r.reason);
    send(res, r.error.status, errorBody(r.error, r.fields), r.usedWeight, r.orders10s, r.orders1m);
  }

  /** What weight and bans count on: the peer's address, or with trustProxy the first X-Forwarded-For. */
  private clientKey(req: IncomingMessage): string {
    if (this.instance.config.trustProxy) {
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
