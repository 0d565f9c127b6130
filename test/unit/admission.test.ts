import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { rejectReason } from "../../loadtests/vocabulary/traffic.ts";
import {
  type AdmissionDecision,
  type AdmissionRequest,
  type AdmissionState,
  decideAdmission,
  QUEUE_TIMEOUT,
  REFUSAL_REASON,
} from "../../mock-exchange/admission.ts";
import { type ApiError, ERR } from "../../mock-exchange/api/errors.ts";
import { Params } from "../../mock-exchange/api/params.ts";
import { findRoute, type Route } from "../../mock-exchange/api/routes.ts";
import { EXCHANGE_DEFAULTS, type ExchangeConfig } from "../../mock-exchange/defaults.ts";
import { Venue } from "../../mock-exchange/venue.ts";

/**
 * decideAdmission on its own, on a Venue with a hand-moved clock: the order of checks (a banned
 * or limited IP is refused before its key is looked at, a bad key before the signature, the
 * order counts after parsing), the headers data of each refusal, the capacity outcomes, and the
 * simulator's way of leaving keys, signatures and parameters out (no `verify`).
 */

const T0 = 1_760_126_400_000;

function route(method: string, path: string): Route {
  return findRoute(method, path) as Route;
}

function setup(change: Partial<ExchangeConfig> = {}) {
  const clock = { t: T0 };
  const config: ExchangeConfig = {
    ...EXCHANGE_DEFAULTS,
    limits: {
      ...EXCHANGE_DEFAULTS.limits,
      weightPerMinute: 10,
      ordersPer10s: 2,
      ordersPerMinute: 5,
      banAfterRefusalsPerMinute: 1,
    },
    ...change,
  };
  const venue = new Venue(config, () => clock.t);
  const state: AdmissionState = {
    limiter: venue.limiter,
    orderLimiter: venue.orderLimiter,
    capacity: config.capacity.enabled ? venue.capacity : undefined,
    verify: venue,
    requireSignature: config.auth.requireSignature,
  };
  const account = venue.accounts[0] as { accountId: number; apiKey: string; apiSecret: string };
  return { clock, venue, state, account };
}

function signed(query: string, secret: string, timestampMs: number): string {
  const q = `${query === "" ? "" : `${query}&`}timestamp=${timestampMs}`;
  return `${q}&signature=${createHmac("sha256", secret).update(q).digest("hex")}`;
}

function request(r: Route, query: string, atMs: number, apiKey?: string): AdmissionRequest {
  let params: Params | ApiError;
  try {
    params = new Params(query);
  } catch (err) {
    params = err as ApiError;
  }
  return {
    route: r,
    clientKey: "10.1.0.1",
    apiKey,
    accountId: 0,
    params,
    query,
    body: "",
    arrivalMs: atMs,
    priority: false,
  };
}

function refusedCode(d: AdmissionDecision): number | undefined {
  return d.kind === "refused" ? d.error.code : undefined;
}

describe("decideAdmission", () => {
  it("counts each of the gateway's own refusals as rejectReason counts its status and code", () => {
    for (const [name, reason] of Object.entries(REFUSAL_REASON)) {
      const spec = ERR[name as keyof typeof REFUSAL_REASON];
      for (const cls of ["order", "position", "depth", undefined])
        expect(rejectReason(spec.status, spec.code, cls), name).toBe(reason);
    }
    expect(rejectReason(QUEUE_TIMEOUT.error.status, QUEUE_TIMEOUT.error.code, "order")).toBe(
      QUEUE_TIMEOUT.reason,
    );
  });

  it("admits a signed order with its weight and order counts, and runs the capacity model", () => {
    const { clock, state, account } = setup();
    const order = route("POST", "/fapi/v1/order");
    const body = "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001";
    const d = decideAdmission(
      request(order, signed(body, account.apiSecret, clock.t), clock.t, account.apiKey),
      state,
    );
    expect(d.kind).toBe("admitted");
    if (d.kind !== "admitted") return;
    expect([d.accountId, d.usedWeight, d.orders10s, d.orders1m]).toEqual([account.accountId, 0, 1, 1]);
    expect(d.parsed?.route).toBe("newOrder");
    expect(d.queued).toBe(true);
    expect(d.timedOut).toBe(false);
    expect(d.dueMs).toBeGreaterThan(clock.t);
  });

  it("refuses on the limits before the key is looked at: weight 429 with Retry-After, then a 418 ban", () => {
    const { clock, state } = setup();
    const positions = route("GET", "/fapi/v2/positionRisk");
    // Weight 5 each, 10 a minute: two pass the limits (and fail on the missing key), the third is limited.
    for (let i = 0; i < 2; i++) {
      const d = decideAdmission(request(positions, "", clock.t), state);
      expect(refusedCode(d)).toBe(ERR.API_KEY_FORMAT.code);
      if (d.kind === "refused")
        expect([d.reason, d.usedWeight, d.retryAfterS]).toEqual(["error", 5 * (i + 1), 0]);
    }
    const limited = decideAdmission(request(positions, "", clock.t), state);
    expect(limited.kind === "refused" && [limited.reason, limited.error.status]).toEqual([
      "rate_limited",
      429,
    ]);
    if (limited.kind === "refused") {
      expect(limited.retryAfterS).toBeGreaterThan(0);
      expect(limited.fields).toEqual({ limit: 10 });
    }
    const banned = decideAdmission(request(positions, "", clock.t), state);
    expect(banned.kind === "refused" && [banned.reason, banned.error.status]).toEqual(["banned", 418]);
    if (banned.kind === "refused") expect(banned.fields?.ip).toBe("10.1.0.1");
  });

  it("refuses a bad parameter split first, counting no weight", () => {
    const { clock, state } = setup();
    const d = decideAdmission(
      request(route("GET", "/fapi/v1/depth"), "symbol=BTCUSDT&symbol=X", clock.t),
      state,
    );
    expect(refusedCode(d)).toBe(ERR.DUPLICATE_PARAM.code);
    if (d.kind === "refused") expect([d.reason, d.usedWeight]).toEqual(["error", 0]);
  });

  it("weighs depth by its limit (the route table's routeWeight)", () => {
    const { clock, state } = setup();
    const depth = route("GET", "/fapi/v1/depth");
    const d = decideAdmission(request(depth, "symbol=BTCUSDT&limit=100", clock.t), state);
    expect(d.kind === "admitted" && d.usedWeight).toBe(5);
  });

  it("an unknown key is refused before the signature; a bad signature before the parameters", () => {
    const { clock, state, account } = setup();
    const order = route("POST", "/fapi/v1/order");
    const unknown = decideAdmission(request(order, "symbol=NOPE", clock.t, "nope"), state);
    expect(refusedCode(unknown)).toBe(ERR.INVALID_API_KEY.code);
    // An order's 4xx counts as an order rejected, as the k6 script counts it.
    expect(unknown.kind === "refused" && unknown.reason).toBe("order_rejected");
    const badSignature = decideAdmission(
      request(order, `symbol=NOPE&timestamp=${clock.t}&signature=00`, clock.t, account.apiKey),
      state,
    );
    expect(refusedCode(badSignature)).toBe(ERR.INVALID_SIGNATURE.code);
    const badSymbol = decideAdmission(
      request(
        order,
        signed("symbol=NOPE&side=BUY&type=MARKET&quantity=0.001", account.apiSecret, clock.t),
        clock.t,
        account.apiKey,
      ),
      state,
    );
    expect(refusedCode(badSymbol)).toBe(ERR.BAD_SYMBOL.code);
  });

  it("counts orders per account after parsing: the third in 10 s is refused with the counts and Retry-After", () => {
    const { clock, state, account } = setup();
    const order = route("POST", "/fapi/v1/order");
    const body = "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001";
    const send = () =>
      decideAdmission(
        request(order, signed(body, account.apiSecret, clock.t), clock.t, account.apiKey),
        state,
      );
    send();
    send();
    const third = send();
    expect(refusedCode(third)).toBe(ERR.TOO_MANY_ORDERS.code);
    if (third.kind !== "refused") return;
    expect([third.reason, third.orders10s, third.orders1m]).toEqual(["rate_limited", 2, 2]);
    expect(third.retryAfterS).toBeGreaterThan(0);
  });

  it("without `verify` (the simulator) takes the account and priority as given and checks no key", () => {
    const { clock, state } = setup();
    const order = route("POST", "/fapi/v1/order");
    const simState: AdmissionState = { ...state, verify: undefined, requireSignature: false };
    const r = { ...request(order, "", clock.t), accountId: 7, priority: true };
    const d = decideAdmission(r, simState);
    expect(d.kind === "admitted" && [d.accountId, d.parsed, d.orders10s]).toEqual([7, undefined, 1]);
  });

  it("with the capacity model off, admits to run at once", () => {
    const { clock, state } = setup({ capacity: { ...EXCHANGE_DEFAULTS.capacity, enabled: false } });
    const d = decideAdmission(request(route("GET", "/fapi/v1/time"), "", clock.t), state);
    expect(d.kind === "admitted" && [d.queued, d.dueMs, d.timedOut, d.queueDepth]).toEqual([
      false,
      clock.t,
      false,
      0,
    ]);
  });
});
