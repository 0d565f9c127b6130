/**
 * The drill's request scenarios: one open-model scenario per traffic class, driven by a burst
 * profile. Each iteration runs its client's behaviour in the class (loadtests/scenarios/, one file
 * each): the profile's mix splits the clients, not the iterations (clientBehaviour; without a mix
 * every client runs the class's default). loadtests/drill.ts adds the liquidation-stream watchers.
 *
 * This file is the whole drill of a profile without watchers: the orchestrator bundles it alone
 * then (scripts/drillBundle.ts), so no VU instantiates k6/websockets, k6/timers and the watchers'
 * metrics it would never use (about 8 KB of heap per VU: 1,000 idle VUs, Go heap after a
 * collection, 2026-12-06).
 *
 * Each iteration sends on schedule (ramping-arrival-rate); when no VU is free k6 drops the
 * iteration and counts it in dropped_iterations instead of sending late, so latencies are not
 * hidden by coordinated omission (docs/facts.md "Latency measurement").
 */
import { sleep } from "k6";
import { hmac as cryptoHmac } from "k6/crypto";
import exec from "k6/execution";
import http, { type RefinedParams, type RefinedResponse, type ResponseType } from "k6/http";
import { Counter } from "k6/metrics";
import {
  type BehaviourName,
  type BehaviourRequest,
  blockedUntilMs,
  clientBehaviour,
} from "./lib/behaviours.ts";
import { type K6DrillPlan, k6PlanProblems } from "./lib/k6Plan.ts";
import { ITERATION_METADATA, iterationMark } from "./lib/lateness.ts";
import { RUN_BEHAVIOUR } from "./scenarios/index.ts";
import { DRILL_SYMBOLS, newSessionState, type Session, type SessionState } from "./scenarios/session.ts";
import { type Random, seededRandom } from "./vocabulary/random.ts";
import { rejectReason, type TrafficClass } from "./vocabulary/traffic.ts";

export const baseUrl = __ENV.STAMPEDE_BASE_URL ?? "http://127.0.0.1:8080";

// Read once per VU: each read of a k6 Go module's named import calls the module's Exports(),
// which for k6/crypto builds a map of its 14 functions, and wraps the function for JS anew
// (go.k6.io/k6 js/modules/gomodule.go GetBindingValue): garbage on every signed request.
const hmac = cryptoHmac;

/**
 * The plan, as much of it as an iteration needs. Every VU evaluates this file; only the first
 * evaluation (VU 0, k6's options) needs the scenarios, whose stages as JS objects cost about 14 KB
 * per VU kept (heap profile of the default drill, 2026-12-05), and only it checks the file: k6
 * stops before any VU starts when it throws. Checking in every VU kept about 10 KB more per VU
 * (the builtins the check touches, materialised in each VU's runtime: 1,000 idle VUs, Go heap
 * after a collection, 2026-12-06).
 */
function readPlan(): Omit<K6DrillPlan, "format" | "profile"> {
  const file = __ENV.STAMPEDE_PLAN_FILE;
  if (file === undefined || file === "")
    throw new Error(
      "STAMPEDE_PLAN_FILE is not set: `stampede drill` writes the plan (k6-plan.json) into the run folder",
    );
  const parsed = JSON.parse(open(file)) as unknown;
  const problems = __VU === 0 ? k6PlanProblems(parsed) : [];
  if (problems.length > 0) throw new Error(`${file}: ${problems.join("; ")}`);
  const p = parsed as K6DrillPlan;
  return {
    clients: p.clients,
    seed: p.seed,
    mix: p.mix,
    scenarios: __VU === 0 ? p.scenarios : {},
    ...(p.watcherHoldWallMs === undefined ? {} : { watcherHoldWallMs: p.watcherHoldWallMs }),
  };
}

export const plan = readPlan();
// `drill --generators N`: each k6 process numbers its VUs from 1, so VU v of generator g is
// client v * N + g (the same client numbering as one process when N = 1).
const generator = Number(__ENV.STAMPEDE_GENERATOR ?? 0);
const generators = Number(__ENV.STAMPEDE_GENERATORS ?? 1);

// k6's console (logs to k6.log); loadtests/tsconfig.json has no DOM typings.
declare const console: { info(...args: unknown[]): void; warn(...args: unknown[]): void };

export const options = {
  scenarios: plan.scenarios,
  setupTimeout: "60s",
  // A redirect is an answer, never followed: following it would send signed orders and the API
  // key to whatever address the target names. The orchestrator also sets K6_MAX_REDIRECTS=0,
  // which outranks this.
  maxRedirects: 0,
  // The drill sets no cookie and the venue sends none: k6's default, a new cookie jar for every
  // iteration, was an allocation per iteration for nothing.
  noCookiesReset: true,
};

// 429/418/503 are modelled outcomes of the drill, not failures of the generator. A 3xx is not
// expected: it is the target's error (counted as "error", and logged once per VU for the drill).
http.setResponseCallback(http.expectedStatuses({ min: 200, max: 299 }, 400, 418, 429, 503));

const rejects = new Counter("stampede_rejects");
const setupDone = new Counter("stampede_setup_done");

interface Account {
  accountId: number;
  apiKey: string;
  apiSecret: string;
}

/**
 * What setup() hands every VU. k6 decodes it again in each VU and keeps it there: as an array of
 * account objects it cost about 60 KB per VU of the default drill (heap profile, 2026-12-05), as
 * one string of `key:secret` pairs about 8 KB (2026-12-06). Keys from the environment cost no VU
 * anything (every VU's __ENV holds the process's one copy), so `keys` is empty then.
 */
export interface SetupData {
  /** `key:secret` pairs joined by commas; empty when they are in STAMPEDE_API_KEYS. */
  keys: string;
  accountCount: number;
  midPrice: Record<string, number>;
}

export const SYMBOLS = DRILL_SYMBOLS;

/**
 * The clients' keys as `key:secret` pairs joined by commas, set in the environment (never on the
 * command line) by the orchestrator: the first accounts of its venue, or a venue's own keys for
 * `drill --target` at a venue without stampede's control plane. Without them (a k8s runner, k6 by
 * hand) setup() reads the accounts from the control plane.
 */
const envKeys = __ENV.STAMPEDE_API_KEYS ?? "";
/** A venue with stampede's control plane: the mock, whose per-IP limits key on X-Forwarded-For. */
const controlPlane = __ENV.STAMPEDE_CONTROL_PLANE !== "0";

/** How many `key:secret` pairs the environment's keys hold; throws at a malformed entry. */
function envKeyCount(): number {
  const pairs = envKeys.split(",");
  const bad = pairs.findIndex((pair) => pair.indexOf(":") <= 0);
  if (bad >= 0) throw new Error(`STAMPEDE_API_KEYS entry ${bad + 1} is not key:secret`);
  return pairs.length;
}

function accountsFromControlPlane(): Account[] {
  const token = __ENV.STAMPEDE_CONTROL_TOKEN ?? "";
  const res = http.get(`${baseUrl}/__stampede/accounts`, {
    tags: { name: "setup" },
    headers: token === "" ? {} : { Authorization: `Bearer ${token}` },
  });
  if (res.status >= 300 && res.status < 400)
    throw new Error(
      `stampede-redirect ${res.status} GET /__stampede/accounts -> ${res.headers.Location ?? "(no Location)"}`,
    );
  if (res.status === 401)
    throw new Error(`control plane answered 401: STAMPEDE_CONTROL_TOKEN is missing or wrong`);
  if (res.status !== 200)
    throw new Error(`control plane answered ${res.status}: is ${baseUrl} the mock exchange?`);
  return (res.json() as unknown as { accounts: Account[] }).accounts.slice(0, plan.clients);
}

/** A symbol's mid price from its book. */
function midPriceOf(symbol: string): number {
  // With several generators (execution segments) another process may already be bursting
  // while this one sets up, so the book read can be shed (503) or limited: retry a while.
  let mid = Number.NaN;
  let status = 0;
  for (let attempt = 0; attempt < 30 && !Number.isFinite(mid); attempt++) {
    if (attempt > 0) sleep(0.2);
    const depth = http.get(`${baseUrl}/fapi/v1/depth?symbol=${symbol}&limit=5`, {
      tags: { name: "setup" },
    });
    status = depth.status;
    if (status >= 300 && status < 400)
      throw new Error(
        `stampede-redirect ${status} GET /fapi/v1/depth -> ${depth.headers.Location ?? "(no Location)"}`,
      );
    if (status !== 200) continue;
    const book = depth.json() as { bids?: string[][]; asks?: string[][] };
    mid = (Number(book.bids?.[0]?.[0]) + Number(book.asks?.[0]?.[0])) / 2;
  }
  if (!Number.isFinite(mid)) throw new Error(`no order book for ${symbol} (last status ${status})`);
  return mid;
}

export function setup(): SetupData {
  const midPrice: Record<string, number> = {};
  for (const s of SYMBOLS) midPrice[s.symbol] = midPriceOf(s.symbol);
  let data: SetupData;
  if (envKeys !== "") {
    data = { keys: "", accountCount: envKeyCount(), midPrice };
  } else {
    if (!controlPlane) throw new Error("no control plane and no keys in STAMPEDE_API_KEYS");
    const accounts = accountsFromControlPlane();
    data = {
      keys: accounts.map((a) => `${a.apiKey}:${a.apiSecret}`).join(","),
      accountCount: accounts.length,
      midPrice,
    };
  }
  setupDone.add(1);
  return data;
}

// Per-VU state: a VU is one client session (its key and its IP), so read-your-writes is per VU.
const sessionState: SessionState = newSessionState();

/** This VU's client number, distinct across generators. */
function clientKey(): number {
  return (exec.vu.idInTest - 1) * generators + generator;
}

interface Client {
  apiKey: string;
  apiSecret: string;
  ip: string;
}

export function client(data: SetupData): Client {
  const index = clientKey() % data.accountCount;
  const keys = data.keys === "" ? envKeys : data.keys;
  // The index-th pair, found without splitting the whole list in every VU.
  let start = 0;
  for (let i = 0; i < index; i++) start = keys.indexOf(",", start) + 1;
  const end = keys.indexOf(",", start);
  const pair = keys.slice(start, end < 0 ? keys.length : end);
  const colon = pair.indexOf(":");
  // Client IPs stay in loopback: they only key the per-IP limits (trust-proxy), nothing is sent there.
  return {
    apiKey: pair.slice(0, colon),
    apiSecret: pair.slice(colon + 1),
    ip: `127.77.${Math.floor(index / 250)}.${(index % 250) + 1}`,
  };
}

/**
 * A SIGNED request's parameters: `timestamp` appended, then `signature` = hex HMAC-SHA256 of the
 * parameters with the account's secret (each keyed request sends its parameters in one place:
 * the query string for GET/DELETE, the body for POST, so totalParams is that string).
 */
function signed(c: Client, totalParams: string): string {
  const withTime = `${totalParams}&timestamp=${Date.now()}`;
  return `${withTime}&signature=${hmac("sha256", c.apiSecret, withTime, "hex")}`;
}

/** k6's request timeout, ms: a number, which k6 reads without parsing a duration string per request. */
export const REQUEST_TIMEOUT_MS = 10_000;

/**
 * A request kind's parameters. The client IP header keys the mock's per-IP limits (trust-proxy);
 * a real venue gets no such header. Only a POST has a body to type: k6 copies and writes every
 * header of every request.
 */
export function params(
  cls: string,
  endpoint: string,
  c: Client,
  hasBody: boolean,
): RefinedParams<ResponseType> {
  const headers: Record<string, string> = { "X-MBX-APIKEY": c.apiKey };
  if (controlPlane) headers["X-Forwarded-For"] = c.ip;
  if (hasBody) headers["Content-Type"] = "application/x-www-form-urlencoded";
  return { headers, tags: { class: cls, name: endpoint }, timeout: REQUEST_TIMEOUT_MS };
}

// Per VU: the first redirect it met, logged so the orchestrator can name it (scripts/drill.ts).
let redirectLogged = false;

/**
 * Records a refusal by reason; returns true when the response was served. `status` is read once
 * by the caller: every property of a k6 response is a call into Go.
 */
function served(res: RefinedResponse<ResponseType>, status: number, cls: string, endpoint: string): boolean {
  if (status >= 200 && status < 300) return true;
  if (status >= 300 && status < 400 && !redirectLogged) {
    redirectLogged = true;
    console.warn(`stampede-redirect ${status} ${endpoint} -> ${res.headers.Location ?? "(no Location)"}`);
  }
  let code: number | undefined;
  // Only a 503's reason depends on the body's code (-1008 shed vs -1007 timed out): parsing the
  // body of every 429 as well cost k6 about a core's tenth at 100x.
  if (status === 503) {
    try {
      code = (res.json() as { code?: number }).code;
    } catch {
      code = undefined;
    }
  }
  let reason = rejectReason(status, code, cls);
  if (status === 0 && res.error_code === 1050) reason = "timeout";
  if (reason === undefined) return true;
  // k6 tags custom metrics only with what is given here: the endpoint goes along explicitly.
  rejects.add(1, { class: cls, reason, name: endpoint });
  return false;
}

// k6 has no seed option for Math.random; each VU draws from its own seeded stream instead.
// Which VU runs which iteration is up to k6, so a re-run repeats the mix, not every request.
let random: Random | undefined;
function vuRandom(): Random {
  random ??= seededRandom(plan.seed * 1_000_003 + clientKey() + 1);
  return random;
}
export function rand(): number {
  return vuRandom()();
}

let session: Session | undefined;

/** This VU's session: its client, its state and the drill's request helpers. */
function sessionOf(data: SetupData): Session {
  if (session !== undefined) return session;
  const c = client(data);
  // One params object per request kind and VU, built once: k6 reads it on every call, and a
  // fresh object per request was garbage the generator's collector had to chase. A plain object:
  // a VU's first Map builds its Map prototype (about 10 KB per VU).
  const paramsOf: Record<string, RefinedParams<ResponseType>> = {};
  const paramsFor = (r: BehaviourRequest) => {
    let p = paramsOf[r.route];
    if (p === undefined) {
      p = params(r.cls, r.endpoint, c, r.method === "POST");
      paramsOf[r.route] = p;
    }
    return p;
  };
  session = {
    symbols: SYMBOLS,
    mid: (symbol) => data.midPrice[symbol] as number,
    rand: vuRandom(),
    state: sessionState,
    send: (r, query) => {
      const p = paramsFor(r);
      if (!r.signed) return http.get(`${baseUrl}${r.path}?${query}`, p);
      if (r.method === "POST") return http.post(`${baseUrl}${r.path}`, signed(c, query), p);
      if (r.method === "DELETE") return http.del(`${baseUrl}${r.path}?${signed(c, query)}`, null, p);
      return http.get(`${baseUrl}${r.path}?${signed(c, query)}`, p);
    },
    served: (res, r) => {
      const status = res.status;
      // The session learns the venue's Retry-After whoever sent the request (patient-checker waits it out).
      if (status === 429 || status === 418)
        sessionState.blockedUntilMs = blockedUntilMs(
          sessionState.blockedUntilMs,
          status,
          res.headers["Retry-After"],
          Date.now(),
        );
      return served(res, status, r.cls, r.endpoint);
    },
  };
  return session;
}

const MIX = plan.mix;

// k6's execution objects, taken once per VU: every `exec.vu` or `exec.scenario` builds a new
// object of getters in Go (about a tenth of the generator's CPU when read per iteration); the
// getters read the VU's state when called, so the objects stay right across iterations.
let scenarioInfo: typeof exec.scenario | undefined;
let vuMetrics: typeof exec.vu.metrics | undefined;
let vuMetadata: Record<string, string> | undefined;

/**
 * Marks the iteration's samples with its number and start (loadtests/lib/lateness.ts): k6's
 * stampede output turns them into the iteration's lateness behind the arrival schedule and each
 * request's corrected latency.
 */
function markIteration(): void {
  if (scenarioInfo === undefined || vuMetadata === undefined) {
    scenarioInfo = exec.scenario;
    vuMetrics = exec.vu.metrics;
    vuMetadata = vuMetrics.metadata as Record<string, string>;
  }
  vuMetadata[ITERATION_METADATA] = iterationMark(scenarioInfo.iterationInTest, Date.now());
}

// This VU's behaviour per class: its client's (a VU runs one scenario, so in practice one class).
const vuBehaviour: Partial<Record<TrafficClass, BehaviourName>> = {};

/**
 * One iteration of a class: k6 hands it to any free VU of the class's scenario, and the VU's
 * client (clientKey(), fixed) decides the behaviour, so all VUs of a client behave alike and
 * what the venue does to the client's IP (429s, a 418 ban) falls on one kind of client. Nothing
 * is drawn to choose it, so the default mix sends the requests it did before behaviours. The
 * behaviour is the VU's `behaviour` tag, so every sample of the iteration carries it (requests,
 * rejects, stale reads, skips).
 *
 * `body` runs instead of the behaviour, everything around it unchanged: the generator bench
 * (loadtests/bench/drillHarness.ts) sends a bare script's request that way, to tell what the
 * drill's harness costs from what its requests cost.
 */
export function iterate(cls: TrafficClass, data: SetupData, body?: (s: Session) => void): void {
  markIteration();
  let name = vuBehaviour[cls];
  if (name === undefined) {
    name = clientBehaviour(MIX[cls], clientKey() % data.accountCount, data.accountCount);
    vuBehaviour[cls] = name;
    // Tagged once: a VU of an arrival-rate scenario is activated once and keeps its tags for
    // every iteration it runs (setting a tag builds a new tag set in Go).
    (vuMetrics as typeof exec.vu.metrics).tags.behaviour = name;
  }
  (body ?? RUN_BEHAVIOUR[name])(sessionOf(data));
}

/** Order flow: trader, market-maker, taker, stop-loss-submitter, reduce-only-closer. */
export function order(data: SetupData): void {
  iterate("order", data);
}

/** Position reads: panicked-checker, patient-checker. */
export function position(data: SetupData): void {
  iterate("position", data);
}

/** Order-book reads: book-watcher. */
export function depth(data: SetupData): void {
  iterate("depth", data);
}
