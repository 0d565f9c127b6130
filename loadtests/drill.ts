/**
 * The drill: one open-model scenario per traffic class, driven by a burst profile.
 * Run natively by k6 (TypeScript, relative imports with extensions). Plain k6 reproduces a run:
 *   k6 run -e STAMPEDE_BASE_URL=http://127.0.0.1:PORT -e STAMPEDE_PROFILE=smoke loadtests/drill.ts
 *
 * Each iteration sends on schedule (ramping-arrival-rate); when no VU is free k6 drops the
 * iteration and counts it in dropped_iterations instead of sending late, so latencies are not
 * hidden by coordinated omission (reference.md "Latency measurement").
 */
import { sleep } from "k6";
import { hmac } from "k6/crypto";
import exec from "k6/execution";
import http, { type RefinedParams, type RefinedResponse, type ResponseType } from "k6/http";
import { Counter, Rate, Trend } from "k6/metrics";
import { seededRandom } from "../mock-exchange/random.ts";
import { planDrill, scaleRates } from "./lib/plan.ts";
import { rejectReason } from "./lib/reasons.ts";
import { PROFILES } from "./profiles/index.ts";

const baseUrl = __ENV.STAMPEDE_BASE_URL ?? "http://127.0.0.1:8080";
const profileName = __ENV.STAMPEDE_PROFILE ?? "smoke";
const profile = PROFILES[profileName];
if (profile === undefined) throw new Error(`unknown profile "${profileName}"`);
const timeScale = Number(__ENV.STAMPEDE_TIME_SCALE ?? profile.defaultTimeScale);
const iterationBudgetS = Number(__ENV.STAMPEDE_ITERATION_BUDGET_S ?? 0.8);
const seed = Number(__ENV.STAMPEDE_SEED ?? 1);
const rateScale = Number(__ENV.STAMPEDE_RATE_SCALE ?? 1);
// `drill --generators N`: each k6 process numbers its VUs from 1, so VU v of generator g is
// client v * N + g (the same client numbering as one process when N = 1).
const generator = Number(__ENV.STAMPEDE_GENERATOR ?? 0);
const generators = Number(__ENV.STAMPEDE_GENERATORS ?? 1);
const plan = planDrill(scaleRates(profile, rateScale), { timeScale, iterationBudgetS });

function scenario(cls: "order" | "position" | "depth") {
  const p = plan.classes[cls];
  return {
    executor: "ramping-arrival-rate",
    exec: cls,
    startRate: p.startRatePerMin,
    timeUnit: "1m",
    preAllocatedVUs: p.preAllocatedVUs,
    maxVUs: p.maxVUs,
    stages: p.stages,
    tags: { class: cls },
  };
}

export const options = {
  scenarios: { order: scenario("order"), position: scenario("position"), depth: scenario("depth") },
  setupTimeout: "60s",
};

// 429/418/503 are modelled outcomes of the drill, not failures of the generator.
http.setResponseCallback(http.expectedStatuses({ min: 200, max: 399 }, 400, 418, 429, 503));

const rejects = new Counter("stampede_rejects");
const staleRead = new Rate("stampede_stale_read");
const staleReadAgeMs = new Trend("stampede_stale_read_age_ms", true);
const setupDone = new Counter("stampede_setup_done");

interface SetupData {
  accounts: Array<{ accountId: number; apiKey: string; apiSecret: string }>;
  midPrice: Record<string, number>;
}

const SYMBOLS = [
  { symbol: "BTCUSDT", tick: 0.1, priceDecimals: 1 },
  { symbol: "ETHUSDT", tick: 0.01, priceDecimals: 2 },
];

/**
 * `drill --target` at a venue without stampede's control plane: keys arrive in the environment
 * (STAMPEDE_API_KEYS="key:secret,..."), set by the orchestrator, never on the command line.
 */
const controlPlane = __ENV.STAMPEDE_CONTROL_PLANE !== "0";

function accountsFromEnv(): SetupData["accounts"] {
  return (__ENV.STAMPEDE_API_KEYS ?? "")
    .split(",")
    .filter((pair) => pair.includes(":"))
    .map((pair, i) => {
      const at = pair.indexOf(":");
      return { accountId: i + 1, apiKey: pair.slice(0, at), apiSecret: pair.slice(at + 1) };
    });
}

export function setup(): SetupData {
  let accounts: SetupData["accounts"];
  if (controlPlane) {
    const res = http.get(`${baseUrl}/__stampede/accounts`, { tags: { name: "setup" } });
    if (res.status !== 200)
      throw new Error(`control plane answered ${res.status}: is ${baseUrl} the mock exchange?`);
    accounts = (res.json() as { accounts: SetupData["accounts"] }).accounts.slice(0, profile?.clients);
  } else {
    accounts = accountsFromEnv();
    if (accounts.length === 0) throw new Error("no control plane and no keys in STAMPEDE_API_KEYS");
  }
  const midPrice: Record<string, number> = {};
  for (const s of SYMBOLS) {
    // With several generators (execution segments) another process may already be bursting
    // while this one sets up, so the book read can be shed (503) or limited: retry a while.
    let mid = Number.NaN;
    let status = 0;
    for (let attempt = 0; attempt < 30 && !Number.isFinite(mid); attempt++) {
      if (attempt > 0) sleep(0.2);
      const depth = http.get(`${baseUrl}/fapi/v1/depth?symbol=${s.symbol}&limit=5`, {
        tags: { name: "setup" },
      });
      status = depth.status;
      if (status !== 200) continue;
      const book = depth.json() as { bids?: string[][]; asks?: string[][] };
      mid = (Number(book.bids?.[0]?.[0]) + Number(book.asks?.[0]?.[0])) / 2;
    }
    if (!Number.isFinite(mid)) throw new Error(`no order book for ${s.symbol} (last status ${status})`);
    midPrice[s.symbol] = mid;
  }
  setupDone.add(1);
  return { accounts, midPrice };
}

// Per-VU state: a VU is one client session (its key and its IP), so read-your-writes is per VU.
let myRestingOrder: { symbol: string; orderId: number } | undefined;
const lastAckedFill: Record<string, number> = {};

/** This VU's client number, distinct across generators. */
function clientKey(): number {
  return (exec.vu.idInTest - 1) * generators + generator;
}

interface Client {
  apiKey: string;
  apiSecret: string;
  ip: string;
}

function client(data: SetupData): Client {
  const index = clientKey() % data.accounts.length;
  const account = data.accounts[index] as SetupData["accounts"][number];
  // Client IPs stay in loopback: they only key the per-IP limits (trust-proxy), nothing is sent there.
  return {
    apiKey: account.apiKey,
    apiSecret: account.apiSecret,
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

// The client IP header keys the mock's per-IP limits (trust-proxy); a real venue gets no such header.
function params(cls: string, endpoint: string, c: Client): RefinedParams<ResponseType> {
  return {
    headers: controlPlane
      ? {
          "X-MBX-APIKEY": c.apiKey,
          "X-Forwarded-For": c.ip,
          "Content-Type": "application/x-www-form-urlencoded",
        }
      : { "X-MBX-APIKEY": c.apiKey, "Content-Type": "application/x-www-form-urlencoded" },
    tags: { class: cls, name: endpoint },
    timeout: "10s",
  };
}

/** Records a refusal by reason; returns true when the response was served. */
function served(res: RefinedResponse<ResponseType>, cls: string, endpoint: string): boolean {
  let code: number | undefined;
  // Only a 503's reason depends on the body's code (-1008 shed vs -1007 timed out): parsing the
  // body of every 429 as well cost k6 about a core's tenth at 100x.
  if (res.status === 503) {
    try {
      code = (res.json() as { code?: number }).code;
    } catch {
      code = undefined;
    }
  }
  let reason = rejectReason(res.status, code, cls);
  if (res.status === 0 && res.error_code === 1050) reason = "timeout";
  if (reason === undefined) return true;
  // k6 tags custom metrics only with what is given here: the endpoint goes along explicitly.
  rejects.add(1, { class: cls, reason, name: endpoint });
  return false;
}

// k6 has no seed option for Math.random; each VU draws from its own seeded stream instead.
// Which VU runs which iteration is up to k6, so a re-run repeats the mix, not every request.
let random: (() => number) | undefined;
function rand(): number {
  random ??= seededRandom(seed * 1_000_003 + clientKey() + 1);
  return random();
}

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)] as T;
}

/** Traders: market and limit orders, and cancels of their own resting orders. */
export function order(data: SetupData): void {
  const c = client(data);
  if (myRestingOrder !== undefined && rand() < 0.3) {
    const { symbol, orderId } = myRestingOrder;
    myRestingOrder = undefined;
    const res = http.del(
      `${baseUrl}/fapi/v1/order?${signed(c, `symbol=${symbol}&orderId=${orderId}`)}`,
      null,
      params("order", "DELETE /fapi/v1/order", c),
    );
    served(res, "order", "DELETE /fapi/v1/order");
    return;
  }
  const s = pick(SYMBOLS);
  const side = rand() < 0.5 ? "BUY" : "SELL";
  const qty = (0.001 * (1 + Math.floor(rand() * 10))).toFixed(3);
  let body = `symbol=${s.symbol}&side=${side}&quantity=${qty}`;
  if (rand() < 0.5) {
    body += "&type=MARKET";
  } else {
    // Mostly passive quotes inside the house ladder, sometimes aggressive enough to cross.
    const mid = data.midPrice[s.symbol] as number;
    const offsetTicks = rand() < 0.2 ? -5 : 1 + Math.floor(rand() * 20);
    const price = side === "BUY" ? mid - offsetTicks * s.tick : mid + offsetTicks * s.tick;
    body += `&type=LIMIT&timeInForce=GTC&price=${price.toFixed(s.priceDecimals)}`;
  }
  const res = http.post(
    `${baseUrl}/fapi/v1/order`,
    signed(c, body),
    params("order", "POST /fapi/v1/order", c),
  );
  if (!served(res, "order", "POST /fapi/v1/order")) return;
  const ack = res.json() as { orderId: number; status: string; executedQty: string; updateTime: number };
  if (ack.status === "NEW" || ack.status === "PARTIALLY_FILLED")
    myRestingOrder = { symbol: s.symbol, orderId: ack.orderId };
  if (Number(ack.executedQty) > 0) {
    lastAckedFill[s.symbol] = ack.updateTime;
    readPosition(c, s.symbol);
  }
}

/** Panicked position checkers: read positions again and again. */
export function position(data: SetupData): void {
  readPosition(client(data), pick(SYMBOLS).symbol);
}

/** Read-your-writes check: a position older than a fill this client already saw acknowledged is stale. */
function readPosition(c: Client, symbol: string): void {
  const res = http.get(
    `${baseUrl}/fapi/v2/positionRisk?${signed(c, `symbol=${symbol}`)}`,
    params("position", "GET /fapi/v2/positionRisk", c),
  );
  if (!served(res, "position", "GET /fapi/v2/positionRisk")) return;
  const acked = lastAckedFill[symbol];
  if (acked === undefined) return;
  const rows = res.json() as Array<{ symbol: string; updateTime: number }>;
  const row = rows.find((r) => r.symbol === symbol);
  const seen = row?.updateTime ?? 0;
  const stale = seen < acked;
  staleRead.add(stale, { class: "position" });
  if (stale) staleReadAgeMs.add(Date.now() - acked, { class: "position" });
}

/** Order-book watchers. */
export function depth(data: SetupData): void {
  const c = client(data);
  const res = http.get(
    `${baseUrl}/fapi/v1/depth?symbol=${pick(SYMBOLS).symbol}&limit=5`,
    params("depth", "GET /fapi/v1/depth", c),
  );
  served(res, "depth", "GET /fapi/v1/depth");
}
