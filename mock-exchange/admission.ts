import type { RejectReason, TrafficClass } from "../loadtests/vocabulary/traffic.ts";
import { rejectReason } from "../loadtests/vocabulary/traffic.ts";
import { type SigningKey, verifySigned } from "./api/auth.ts";
import { ApiError, ERR, type ExchangeErrorSpec } from "./api/errors.ts";
import type { Params } from "./api/params.ts";
import { type Route, type RouteName, routeWeight } from "./api/routes.ts";
import type { CapacityModel } from "./capacity/model.ts";
import type { IpLimiter } from "./limits/ipLimiter.ts";
import type { OrderCountLimiter } from "./limits/orderCountLimiter.ts";
import { isPriority, type ParsedRequest } from "./venue/request.ts";

/**
 * Whether the venue takes a request, decided in one place and one order, as a venue's gateway
 * decides it: parameters split -> IP ban (418) -> request weight (429 -1003; past the tolerated
 * refusals a 418 that starts a ban) -> API key (401) -> timestamp and signature (400 -1021/-1022)
 * -> parameters (400) -> order counts per account on order-placing routes (429 -1015) ->
 * capacity (503 shed now, 503 timeout later, or served when the modelled service ends). Ban and
 * weight are one IpLimiter call. The raw query and body are split into parameters before the
 * ban check only because a route's weight can depend on them (depth's limit).
 *
 * The mock exchange (api/server.ts) and the per-request simulator (simulate/perRequest.ts) both
 * call decideAdmission, so a simulated request meets the checks a drill's request meets. What
 * the simulator does not model (keys, signatures, parameter validation: a drill's requests pass
 * them) it leaves out by giving no `verify` in the state, never by checking in its own order.
 */

/** One request as the gateway sees it. */
export interface AdmissionRequest {
  route: Route;
  /** The client's address (X-Forwarded-For with trustProxy): what weight and bans count on. */
  clientKey: string;
  /** X-MBX-APIKEY as sent (undefined when absent); read only with `verify`. */
  apiKey: string | undefined;
  /** The account when the state has no `verify` (the caller knows it); ignored otherwise. */
  accountId: number;
  /** The query and body split into parameters, or why they could not be (refused first). */
  params: Params | ApiError;
  /** The signed payload as sent (verifySigned hashes the raw strings). */
  query: string;
  body: string;
  arrivalMs: number;
  /** Passes priority shedding, when the state has no `verify`; otherwise isPriority of the parse. */
  priority: boolean;
}

/** Keys, signatures and parameter validation: the Venue itself on the server. */
export interface AdmissionVerifier {
  accountForKey(apiKey: string): number | undefined;
  signingKeyOf(accountId: number): SigningKey;
  parse(route: RouteName, params: Params, accountId: number): ParsedRequest;
}

/** The venue's parts the decision reads and advances. */
export interface AdmissionState {
  readonly limiter: IpLimiter;
  readonly orderLimiter: OrderCountLimiter;
  /** undefined: the capacity model is off (capacity.enabled false), admitted requests run at once. */
  readonly capacity: CapacityModel | undefined;
  /**
   * undefined: keys, signatures and parameters are not checked, the request's `accountId` and
   * `priority` are taken as they are (the simulator: a drill's requests pass these checks).
   */
  readonly verify: AdmissionVerifier | undefined;
  /** auth.requireSignature: signed routes need a valid timestamp and signature. */
  readonly requireSignature: boolean;
}

/** What the response headers carry whatever the outcome. */
interface AdmissionHeaders {
  /** X-MBX-USED-WEIGHT-1M (0 when refused before the weight was counted). */
  usedWeight: number;
  /** X-MBX-ORDER-COUNT-10S / -1M on order-placing routes once counted; -1: not sent. */
  orders10s: number;
  orders1m: number;
}

/** Refused at arrival: answered at once. */
export interface Refused extends AdmissionHeaders {
  kind: "refused";
  reason: RejectReason;
  error: ExchangeErrorSpec;
  /** The error message's placeholders. */
  fields: Record<string, string | number> | undefined;
  /** Retry-After, whole seconds; 0: no header (only limit refusals send one). */
  retryAfterS: number;
}

/** Past every check: served at dueMs, or (timedOut) answered then with the queue timeout. */
export interface Admitted extends AdmissionHeaders {
  kind: "admitted";
  route: Route;
  arrivalMs: number;
  accountId: number;
  /** The validated request (undefined without `verify`). */
  parsed: ParsedRequest | undefined;
  /** false: the capacity model is off, run it now (dueMs = arrivalMs). */
  queued: boolean;
  dueMs: number;
  /** It waited past the queue timeout: answered at dueMs with QUEUE_TIMEOUT, never run. */
  timedOut: boolean;
  /** The admitted request's queue's depth behind it (the timeline's), 0 when timed out or not queued. */
  queueDepth: number;
}

export type AdmissionDecision = Refused | Admitted;

/** How an Admitted request that timed out is answered. */
export const QUEUE_TIMEOUT: Readonly<{ reason: RejectReason; error: ExchangeErrorSpec }> = {
  reason: "timeout",
  error: ERR.TIMEOUT,
};

/**
 * The reasons the gateway's own refusals count as (what loadtests/vocabulary/traffic.ts rejectReason
 * makes of their status and code, test/unit/admission.test.ts checks them against it).
 */
export const REFUSAL_REASON = {
  BANNED: "banned",
  TOO_MANY_REQUESTS: "rate_limited",
  TOO_MANY_ORDERS: "rate_limited",
  OVERLOADED: "overloaded",
  UNAVAILABLE: "error",
  INTERNAL: "error",
  TIMEOUT: "timeout",
} as const satisfies Partial<Record<keyof typeof ERR, RejectReason>>;

function refused(
  reason: RejectReason,
  error: ExchangeErrorSpec,
  fields: Record<string, string | number> | undefined,
  usedWeight: number,
  retryAfterS = 0,
  orders10s = -1,
  orders1m = -1,
): Refused {
  return { kind: "refused", reason, error, fields, retryAfterS, usedWeight, orders10s, orders1m };
}

/** A dialect error at the edge (4xx): counted as its status says (an order's is a business refusal). */
function invalid(err: unknown, cls: TrafficClass | undefined, usedWeight: number): Refused {
  if (!(err instanceof ApiError)) throw err;
  return refused(edgeReason(err.spec, cls), err.spec, err.fields, usedWeight);
}

function edgeReason(spec: ExchangeErrorSpec, cls: TrafficClass | undefined): RejectReason {
  return rejectReason(spec.status, spec.code, cls) ?? "error";
}

/**
 * API key, signature and parameters, in the gateway's order: the account and the parsed request,
 * or the refusal. The per-request simulator skips this (it sends only valid requests).
 */
function verifyRequest(
  request: AdmissionRequest,
  verify: NonNullable<AdmissionState["verify"]>,
  requireSignature: boolean,
  usedWeight: number,
): Refused | { kind: "verified"; accountId: number; parsed: ParsedRequest } {
  const { route, params } = request;
  const cls = route.trafficClass;
  if (params instanceof ApiError) return invalid(params, cls, usedWeight);
  let accountId = 0;
  if (route.keyed) {
    const key = request.apiKey;
    if (key === undefined || key === "")
      return refused(edgeReason(ERR.API_KEY_FORMAT, cls), ERR.API_KEY_FORMAT, undefined, usedWeight);
    const found = verify.accountForKey(key);
    if (found === undefined)
      return refused(edgeReason(ERR.INVALID_API_KEY, cls), ERR.INVALID_API_KEY, undefined, usedWeight);
    accountId = found;
    if (requireSignature && route.signed !== false) {
      try {
        verifySigned(params, request.query, request.body, verify.signingKeyOf(found), request.arrivalMs);
      } catch (err) {
        return invalid(err, cls, usedWeight);
      }
    }
  }
  try {
    return { kind: "verified", accountId, parsed: verify.parse(route.name, params, accountId) };
  } catch (err) {
    return invalid(err, cls, usedWeight);
  }
}

/**
 * The decision for one request, advancing the limiters and the capacity model as the venue
 * does. Throws only what is not a dialect error (a bug).
 */
export function decideAdmission(request: AdmissionRequest, state: AdmissionState): AdmissionDecision {
  const { route, params, arrivalMs } = request;
  const cls = route.trafficClass;
  if (params instanceof ApiError) return invalid(params, cls, 0);
  const ip = state.limiter.admit(request.clientKey, routeWeight(route, params), arrivalMs);
  const usedWeight = ip.usedWeight;
  if (ip.outcome === "banned") {
    const fields = { ip: request.clientKey, until: ip.bannedUntilMs };
    return refused(REFUSAL_REASON.BANNED, ERR.BANNED, fields, usedWeight, ip.retryAfterS);
  }
  if (ip.outcome === "rate_limited") {
    const fields = { limit: state.limiter.limit };
    const reason = REFUSAL_REASON.TOO_MANY_REQUESTS;
    return refused(reason, ERR.TOO_MANY_REQUESTS, fields, usedWeight, ip.retryAfterS);
  }
  let accountId = request.accountId;
  let parsed: ParsedRequest | undefined;
  let priority = request.priority;
  if (state.verify !== undefined) {
    const checked = verifyRequest(request, state.verify, state.requireSignature, usedWeight);
    if (checked.kind === "refused") return checked;
    ({ accountId, parsed } = checked);
    priority = isPriority(parsed);
  }
  let orders10s = -1;
  let orders1m = -1;
  if (route.orders !== undefined) {
    const o = state.orderLimiter.consume(accountId, route.orders, arrivalMs, route.orders1m);
    orders10s = o.count10s;
    orders1m = o.count1m;
    if (!o.allowed) {
      const fields = { limit: o.limit, interval: o.interval };
      const reason = REFUSAL_REASON.TOO_MANY_ORDERS;
      return refused(reason, ERR.TOO_MANY_ORDERS, fields, usedWeight, o.retryAfterS, orders10s, orders1m);
    }
  }
  const capacity = state.capacity;
  let queued = false;
  let dueMs = arrivalMs;
  let timedOut = false;
  let queueDepth = 0;
  if (capacity !== undefined) {
    const a = capacity.admit(arrivalMs, route.serviceClass, priority);
    switch (a.outcome) {
      case "overloaded":
        return refused(
          REFUSAL_REASON.OVERLOADED,
          ERR.OVERLOADED,
          undefined,
          usedWeight,
          0,
          orders10s,
          orders1m,
        );
      case "unavailable":
        return refused(
          REFUSAL_REASON.UNAVAILABLE,
          ERR.UNAVAILABLE,
          undefined,
          usedWeight,
          0,
          orders10s,
          orders1m,
        );
      case "error":
        return refused(REFUSAL_REASON.INTERNAL, ERR.INTERNAL, undefined, usedWeight, 0, orders10s, orders1m);
    }
    queued = true;
    dueMs = a.dueMs;
    timedOut = a.outcome === "timeout";
    if (!timedOut) queueDepth = capacity.queueDepth(route.serviceClass, arrivalMs);
  }
  return {
    kind: "admitted",
    route,
    arrivalMs,
    accountId,
    parsed,
    queued,
    dueMs,
    timedOut,
    queueDepth,
    usedWeight,
    orders10s,
    orders1m,
  };
}
