import { type ChildProcess, spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import {
  MAX_RECV_WINDOW_MS,
  type SigningKey,
  signingKey,
  signPayload,
  verifySigned,
} from "../mock-exchange/api/auth.ts";
import { newControlToken } from "../mock-exchange/api/control.ts";
import { formatUnits, Params } from "../mock-exchange/api/params.ts";
import { EXCHANGE_DEFAULTS, type ExchangeConfig } from "../mock-exchange/defaults.ts";
import type { SymbolSpec } from "../mock-exchange/engine/types.ts";
import { deriveAccountKeys } from "../mock-exchange/venue.ts";
import type { RawResponse, ServerCommand, ServerReply } from "./benchServer.ts";
import type { Benchmark, BenchResult } from "./benchTypes.ts";
import { ControlPlane } from "./controlPlane.ts";
import { ROOT } from "./paths.ts";
import { round } from "./round.ts";

/**
 * `http_order_rps`, `http_raw_rps`, `http_order_vs_raw`: what the mock exchange's full HTTP stack
 * (parse, HMAC, limits, engine, serialise; capacity model off) serves against a bare node:http
 * server answering the same bytes, both driven by the same autocannon settings in the same run.
 * The servers run in a child process (scripts/benchServer.ts), autocannon in this one, so each
 * side has its own core. The first half of this file is pure and unit-tested
 * (test/unit/benchHttp.test.ts); the second half spawns the servers and runs the load.
 */

// ---------------------------------------------------------------------------------------------
// Pure helpers
// ---------------------------------------------------------------------------------------------

export interface BenchAccount {
  apiKey: string;
  apiSecret: string;
}

/** One request as autocannon takes it (`requests` / `client.setRequests`). */
export interface PooledRequest {
  method: "POST";
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface OrderPoolOptions {
  /** One pool per connection; each account is used by one connection only. */
  connections: number;
  /** Requests per connection's pool (even: BUY/SELL pairs); a connection cycles through its pool. */
  perConnection: number;
  accounts: readonly BenchAccount[];
  spec: SymbolSpec;
  /** How far the IOC limit price reaches through the house ladder from the reference price, ticks. */
  crossTicks: number;
  /** Timestamps are nowMs, nowMs - 1, ... (distinct within a pool, all inside the recvWindow). */
  nowMs: number;
}

export const ORDER_PATH = "/fapi/v1/order";

/** The client IP connection k claims in X-Forwarded-For (loopback range, like the drill's clients). */
export function benchClientIp(k: number): string {
  return `127.78.${Math.floor(k / 250)}.${(k % 250) + 1}`;
}

/**
 * Pre-signed new orders, one pool per connection. Entry i of connection k: account
 * `own[floor(i/2) % own.length]` (own = the accounts with index % connections === k), BUY when i
 * is even and SELL when odd, LIMIT IOC one lot at reference ± crossTicks, so each order takes
 * from the house ladder (venue/houseLiquidity.ts seeds it at the reference ± 1..makerLevels ticks) and nothing
 * rests: the book does not grow and each account's position goes 0 -> +1 -> 0 (a connection sends
 * one request at a time, so its pairs arrive in order). Signed as the drill signs a POST
 * (loadtests/drillRequests.ts `signed`: parameters in the body, `signature` = HMAC-SHA256 of them) with
 * recvWindow at its maximum, 60,000 ms (docs/facts.md "Signed requests"), so a pool built at nowMs
 * stays valid until `poolValidUntilMs`.
 */
export function buildOrderPools(o: OrderPoolOptions): PooledRequest[][] {
  if (!Number.isInteger(o.connections) || o.connections < 1)
    throw new Error(`connections must be a positive integer, got ${o.connections}`);
  if (!Number.isInteger(o.perConnection) || o.perConnection < 2 || o.perConnection % 2 !== 0)
    throw new Error(`perConnection must be an even integer >= 2, got ${o.perConnection}`);
  if (o.accounts.length < o.connections)
    throw new Error(`${o.accounts.length} accounts for ${o.connections} connections: need one each at least`);
  const { spec } = o;
  const quantity = formatUnits(1, spec.stepSize);
  const prices = {
    BUY: formatUnits(spec.referencePriceTicks + o.crossTicks, spec.tickSize),
    SELL: formatUnits(spec.referencePriceTicks - o.crossTicks, spec.tickSize),
  };
  const pools: PooledRequest[][] = [];
  for (let k = 0; k < o.connections; k++) {
    const own = o.accounts.filter((_, i) => i % o.connections === k);
    const pool: PooledRequest[] = [];
    for (let i = 0; i < o.perConnection; i++) {
      const account = own[Math.floor(i / 2) % own.length] as BenchAccount;
      const side = i % 2 === 0 ? "BUY" : "SELL";
      const params =
        `symbol=${spec.symbol}&side=${side}&type=LIMIT&timeInForce=IOC&quantity=${quantity}` +
        `&price=${prices[side]}&newClientOrderId=bench-${k}-${i}&recvWindow=${MAX_RECV_WINDOW_MS}` +
        `&timestamp=${o.nowMs - i}`;
      pool.push({
        method: "POST",
        path: ORDER_PATH,
        headers: {
          "X-MBX-APIKEY": account.apiKey,
          "X-Forwarded-For": benchClientIp(k),
          "Content-Type": "application/x-www-form-urlencoded",
        },
        body: `${params}&signature=${signPayload(account.apiSecret, params)}`,
      });
    }
    pools.push(pool);
  }
  return pools;
}

/**
 * Until when (server clock) every request of a pool built at nowMs passes the timestamp check:
 * its oldest timestamp is nowMs - (perConnection - 1) and the window is 60,000 ms.
 */
export function poolValidUntilMs(nowMs: number, perConnection: number): number {
  return nowMs - (perConnection - 1) + MAX_RECV_WINDOW_MS;
}

/**
 * Headers of a captured response that a server should send again as they are: node's http
 * server adds Date, Connection and Keep-Alive itself (to both servers alike), and a fixed Date
 * would be wrong. `rawHeaders` is node's flat [name, value, ...] list.
 */
export function replayableHeaders(rawHeaders: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (HOP_BY_HOP.has(name.toLowerCase())) continue;
    out.push([name, rawHeaders[i + 1] as string]);
  }
  return out;
}

const HOP_BY_HOP = new Set(["date", "connection", "keep-alive", "transfer-encoding"]);

/** What one autocannon run reports, reduced to what the figures need. */
export interface LoadRun {
  durationS: number;
  responses: number;
  ok2xx: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU of the load generator (this process) and of the server's process over the run, cores. */
  generatorCores: number;
  serverCores: number;
}

/** 2xx responses per second. */
export function okRps(run: LoadRun): number {
  return run.durationS > 0 ? run.ok2xx / run.durationS : 0;
}

/**
 * Server CPU per 2xx response, µs: the cost of one answer whatever the generator did meanwhile
 * (the rate depends on both; this only on the server).
 */
export function serverUsPerResponse(run: LoadRun): number {
  const rps = okRps(run);
  return rps > 0 ? (run.serverCores * 1e6) / rps : 0;
}

/** Share of responses that were not 2xx, or failed to come (errors), of all attempts. */
export function failedShare(run: LoadRun): number {
  const attempts = run.responses + run.errors;
  return attempts === 0 ? 0 : (run.non2xx + run.errors) / attempts;
}

// ---------------------------------------------------------------------------------------------
// The benchmark
// ---------------------------------------------------------------------------------------------

/** Same settings for both servers: 10 connections, one request in flight each, 2 s warm-up, 10 s measured. */
export const HTTP_BENCH = {
  /**
   * 10 saturates both servers on the 2-core box when nothing else runs (measured 2026-11-30,
   * both sides' CPU over the run): the exchange at 1.00 core (24k orders/s), the bare server at
   * 0.90 core with autocannon at 0.85 (65k/s). More connections add no throughput and cost
   * autocannon more per request: at 25, 22k and 64k/s; at 50, 16k and 61k/s (autocannon at
   * 0.98 core, 16 us per request instead of 13). On a busy box neither side gets a full core at
   * any count and the ratio moves with the load (0.35 quiet, up to ~0.5 when the two processes
   * share one core).
   */
  connections: 10,
  pipelining: 1,
  warmUpS: 2,
  durationS: 10,
  /** 1,000 requests per connection: timestamps span 1 s, so a pool is valid 59 s (poolValidUntilMs). */
  perConnection: 1_000,
  /** Half the house ladder (makerLevels 200 x 5,000 lots per level): an IOC always finds liquidity. */
  crossTicks: 100,
  /**
   * The calibration run (`http_busy_raw_rps`): the bare server spinning this much CPU per request
   * before it answers. Measured 2026-11-30 on the 2-vCPU box: 0 µs 62k/s, 5 µs 41k/s, 10 µs 32k/s,
   * 15 µs 25k/s, 20 µs 19k/s; each µs of work costs the server 1.5 to 1.8 µs, because once the
   * server is the slower side autocannon sleeps between responses and every response pays the
   * wake-up (sock_def_readable in the sender's writev, `perf record`). 10 µs is about where the
   * bare server falls to half its rate: the work the whole stack may add for http_order_vs_raw
   * to reach 0.5.
   */
  calibrationBusyUs: 10,
  /** STAMPEDE_BENCH_BUSY_US may ask for another amount, up to this (calibrationBusyUsFrom). */
  maxCalibrationBusyUs: 1_000,
  /** A run whose non-2xx plus errors exceed this share is a broken benchmark, not a figure. */
  maxFailedShare: 0.01,
} as const;

/**
 * The exchange under test: defaults (64 accounts, the house ladder, HMAC signatures required)
 * with the capacity model off (`capacity.enabled: false`: executed at once, no modelled service
 * time), every per-IP and per-account limit out of reach (weight, order counts, bans), and a
 * read replica that applies any write rate (its replication log stays empty instead of growing
 * by two entries per fill, which the default 450/s would let it do).
 */
export const HTTP_BENCH_CONFIG: ExchangeConfig = {
  ...EXCHANGE_DEFAULTS,
  trustProxy: true,
  limits: {
    ...EXCHANGE_DEFAULTS.limits,
    weightPerMinute: 1e12,
    ordersPer10s: 1e12,
    ordersPerMinute: 1e12,
    banAfterRefusalsPerMinute: 1e12,
  },
  capacity: { ...EXCHANGE_DEFAULTS.capacity, enabled: false },
  replica: { ...EXCHANGE_DEFAULTS.replica, applyPerS: 1e9 },
};

/**
 * The calibration's CPU per request, µs: STAMPEDE_BENCH_BUSY_US when set (to sweep it, e.g. 6, 8,
 * 10), else HTTP_BENCH.calibrationBusyUs.
 */
export function calibrationBusyUsFrom(env: Record<string, string | undefined>): number {
  const raw = env.STAMPEDE_BENCH_BUSY_US;
  if (raw === undefined || raw.trim() === "") return HTTP_BENCH.calibrationBusyUs;
  const us = Number(raw);
  if (!Number.isFinite(us) || us <= 0 || us > HTTP_BENCH.maxCalibrationBusyUs)
    throw new Error(
      `STAMPEDE_BENCH_BUSY_US must be a number of microseconds in (0, ${HTTP_BENCH.maxCalibrationBusyUs}], got ${JSON.stringify(raw)}`,
    );
  return us;
}

export interface HttpMeasurement {
  raw: LoadRun;
  /** The bare server with busyUs of CPU per request. */
  busyRaw: LoadRun;
  busyUs: number;
  order: LoadRun;
  /** The order response the raw server replays. */
  captured: RawResponse;
}

let cached: Promise<HttpMeasurement> | undefined;

/** One measurement per process: the three http_* benchmarks share it. */
export function measureHttp(log: (line: string) => void): Promise<HttpMeasurement> {
  cached ??= runMeasurement(log);
  return cached;
}

async function runMeasurement(log: (line: string) => void): Promise<HttpMeasurement> {
  const busyUs = calibrationBusyUsFrom(process.env);
  const exchange = await spawnBenchExchange(HTTP_BENCH_CONFIG);
  let raw: BenchServerChild | undefined;
  try {
    const accounts = await fetchAccounts(exchange.url, exchange.controlToken);
    const spec = HTTP_BENCH_CONFIG.symbols[0] as SymbolSpec;
    // The last account captures the response; the others carry the load.
    const loadAccounts = accounts.slice(0, -1);
    const [buy, sell] = buildOrderPools({
      connections: 1,
      perConnection: 2,
      accounts: accounts.slice(-1),
      spec,
      crossTicks: HTTP_BENCH.crossTicks,
      nowMs: Date.now(),
    })[0] as PooledRequest[];
    const captured = await sendOnce(exchange.url, buy as PooledRequest);
    await sendOnce(exchange.url, sell as PooledRequest);
    if (captured.status !== 200 || !captured.body.includes('"status":"FILLED"'))
      throw new Error(`the probe order was not filled (${captured.status}): ${captured.body}`);
    log(
      `http bench: replaying ${captured.status} ${captured.headers.map(([n, v]) => `${n}: ${v}`).join(", ")}`,
    );

    raw = await spawnBenchServer({ type: "raw", response: captured });
    const rawRun = await loadRun(raw, loadAccounts, spec, "raw", log);
    await raw.stop();
    raw = await spawnBenchServer({ type: "raw", response: captured, busyUs });
    const busyRawRun = await loadRun(raw, loadAccounts, spec, `raw + ${busyUs} µs busy`, log);
    await raw.stop();
    raw = undefined;
    const orderRun = await loadRun(exchange, loadAccounts, spec, "order", log);
    if (failedShare(orderRun) > HTTP_BENCH.maxFailedShare)
      throw new Error(
        `http_order_rps: ${orderRun.non2xx} non-2xx and ${orderRun.errors} errors of ${orderRun.responses} responses: the benchmark measured refusals`,
      );
    for (const [name, run] of [
      ["http_raw_rps", rawRun],
      ["http_busy_raw_rps", busyRawRun],
    ] as const)
      if (failedShare(run) > HTTP_BENCH.maxFailedShare)
        throw new Error(`${name}: ${run.non2xx} non-2xx and ${run.errors} errors`);
    return { raw: rawRun, busyRaw: busyRawRun, busyUs, order: orderRun, captured };
  } finally {
    await raw?.stop();
    await exchange.stop();
  }
}

async function loadRun(
  server: BenchServerChild,
  accounts: readonly BenchAccount[],
  spec: SymbolSpec,
  label: string,
  log: (line: string) => void,
): Promise<LoadRun> {
  const nowMs = Date.now();
  const pools = buildOrderPools({
    connections: HTTP_BENCH.connections,
    perConnection: HTTP_BENCH.perConnection,
    accounts,
    spec,
    crossTicks: HTTP_BENCH.crossTicks,
    nowMs,
  });
  // Every request must still be inside its recvWindow when the run ends (10 s of slack).
  const endsByMs = nowMs + (HTTP_BENCH.warmUpS + HTTP_BENCH.durationS + 10) * 1000;
  if (endsByMs > poolValidUntilMs(nowMs, HTTP_BENCH.perConnection))
    throw new Error("http bench: the run outlasts the pool's recvWindow");
  await autocannonRun(server.url, pools, HTTP_BENCH.warmUpS);
  const cpu0 = process.cpuUsage();
  const s0 = await server.stats();
  const t0 = process.hrtime.bigint();
  const r = await autocannonRun(server.url, pools, HTTP_BENCH.durationS);
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const s1 = await server.stats();
  const cpu = process.cpuUsage(cpu0);
  const run: LoadRun = {
    durationS: r.duration,
    responses: r.requests.total,
    ok2xx: r["2xx"],
    non2xx: r.non2xx,
    errors: r.errors,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    generatorCores: (cpu.user + cpu.system) / 1e6 / wallS,
    serverCores: (s1.cpuUs - s0.cpuUs) / 1e6 / wallS,
  };
  log(
    `http bench ${label}: ${Math.round(okRps(run))} 2xx/s, ${run.non2xx} non-2xx, ${run.errors} errors, p99 ${run.p99Ms} ms, server ${run.serverCores.toFixed(2)} cores (${serverUsPerResponse(run).toFixed(1)} µs per response), generator ${run.generatorCores.toFixed(2)} cores`,
  );
  return run;
}

/**
 * In-process cost of the signature check of one bench order, µs: Params of the body, then
 * auth.ts verifySigned (timestamp, recvWindow, HMAC-SHA256 of the body with the account's
 * prepared key, hex compare), exactly as server.ts calls them, over the pools http_order_rps
 * sends (keys derived from the config's seed, as a venue with that secretsSeed has), no socket. A hot loop: a floor, not what the check
 * costs between socket reads and writes.
 */
export function measureSignatureCheckUs(iterations: number): number {
  const accounts = deriveAccountKeys(HTTP_BENCH_CONFIG.seed, HTTP_BENCH_CONFIG.accounts);
  const keys = new Map(accounts.map((a) => [a.apiKey, signingKey(a.apiSecret)]));
  const nowMs = Date.now();
  const requests = buildOrderPools({
    connections: HTTP_BENCH.connections,
    perConnection: HTTP_BENCH.perConnection,
    accounts,
    spec: HTTP_BENCH_CONFIG.symbols[0] as SymbolSpec,
    crossTicks: HTTP_BENCH.crossTicks,
    nowMs,
  }).flat();
  const check = (r: PooledRequest) =>
    verifySigned(
      new Params("", r.body),
      "",
      r.body,
      keys.get(r.headers["X-MBX-APIKEY"] as string) as SigningKey,
      nowMs,
    );
  for (const r of requests) check(r); // warm-up, and proof that every one verifies (it throws if not)
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) check(requests[i % requests.length] as PooledRequest);
  return Number(process.hrtime.bigint() - t0) / 1e3 / iterations;
}

// ---------------------------------------------------------------------------------------------
// autocannon (CommonJS, untyped: the part of its API used here)
// ---------------------------------------------------------------------------------------------

interface AutocannonClient {
  setRequests(requests: PooledRequest[]): void;
}

interface AutocannonResult {
  duration: number;
  errors: number;
  non2xx: number;
  "2xx": number;
  requests: { total: number };
  latency: { p50: number; p99: number };
}

type Autocannon = (opts: {
  url: string;
  connections: number;
  pipelining: number;
  duration: number;
  timeout: number;
  requests: PooledRequest[];
  setupClient: (client: AutocannonClient) => void;
}) => PromiseLike<AutocannonResult>;

function autocannonRun(url: string, pools: PooledRequest[][], durationS: number): Promise<AutocannonResult> {
  const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;
  let next = 0;
  return Promise.resolve(
    autocannon({
      url,
      connections: pools.length,
      pipelining: HTTP_BENCH.pipelining,
      duration: durationS,
      timeout: 10,
      requests: pools[0] as PooledRequest[],
      // Each connection its own pool (its own accounts), pre-built once: no work per request.
      setupClient: (client) => client.setRequests(pools[next++ % pools.length] as PooledRequest[]),
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// The server child (scripts/benchServer.ts)
// ---------------------------------------------------------------------------------------------

export interface BenchServerChild {
  readonly url: string;
  readonly pid: number;
  /** The child's RSS and CPU time so far. */
  stats(): Promise<{ rssBytes: number; cpuUs: number }>;
  stop(): Promise<void>;
}

const SERVER_ENTRY = join(ROOT, "scripts", "benchServer.ts");
const READY_TIMEOUT_MS = 30_000;

/** Starts scripts/benchServer.ts in a child process and the server `command` asks for. */
export async function spawnBenchServer(command: ServerCommand): Promise<BenchServerChild> {
  // The child's stdout goes to our stderr: stdout carries the JSON figures.
  // STAMPEDE_BENCH_SERVER_NODE_ARGS: extra node flags for the server child, split on spaces, to see
  // where a benchmark's server time goes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" (not
  // allowed in NODE_OPTIONS) or "--perf-basic-prof" for `perf record`.
  const extra = (process.env.STAMPEDE_BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
  const child: ChildProcess = spawn(process.execPath, [...extra, "--import", "tsx", SERVER_ENTRY], {
    cwd: ROOT,
    stdio: ["ignore", 2, "inherit", "ipc"],
  });
  const waiting = new Map<
    number,
    { resolve: (r: { rssBytes: number; cpuUs: number }) => void; reject: (e: Error) => void }
  >();
  let nextId = 1;
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exited = true;
      for (const w of waiting.values()) w.reject(new Error(`bench server exited (${code ?? signal})`));
      waiting.clear();
      resolve();
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("bench server: not ready in 30 s")), READY_TIMEOUT_MS);
    child.on("message", (m: ServerReply) => {
      if (m.type === "ready") {
        clearTimeout(timer);
        resolve(m.url);
      } else if (m.type === "error") {
        clearTimeout(timer);
        reject(new Error(`bench server: ${m.message}`));
      } else if (m.type === "stats") {
        waiting.get(m.id)?.resolve({ rssBytes: m.rssBytes, cpuUs: m.cpuUs });
        waiting.delete(m.id);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`bench server exited (${code}) before it was ready`));
    });
    child.send(command);
  }).catch(async (err: unknown) => {
    if (!exited) child.kill("SIGKILL");
    throw err;
  });
  return {
    url,
    pid: child.pid as number,
    stats: () =>
      new Promise((resolve, reject) => {
        if (exited) return reject(new Error("bench server has exited"));
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        child.send({ type: "stats", id } satisfies ServerCommand);
      }),
    stop: async () => {
      if (exited) return;
      exited = true;
      child.send({ type: "stop" } satisfies ServerCommand);
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exit;
      clearTimeout(killer);
    },
  };
}

/** The exchange's accounts and their keys (control plane, with the exchange's control token). */
export async function fetchAccounts(url: string, controlToken: string): Promise<BenchAccount[]> {
  const accounts = await new ControlPlane(url, controlToken).accounts();
  return accounts.map((a) => ({ apiKey: a.apiKey, apiSecret: a.apiSecret }));
}

/** The exchange child of a benchmark, with a token of our own (sent over IPC, never argv). */
export async function spawnBenchExchange(
  config: ExchangeConfig,
): Promise<BenchServerChild & { controlToken: string }> {
  const controlToken = newControlToken();
  const child = await spawnBenchServer({ type: "exchange", config, controlToken });
  return Object.assign(child, { controlToken });
}

/** Sends one pooled request and returns its status, replayable headers and body. */
export function sendOnce(url: string, r: PooledRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}${r.path}`,
      { method: r.method, headers: { ...r.headers, "Content-Length": Buffer.byteLength(r.body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: replayableHeaders(res.rawHeaders),
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(r.body);
  });
}

// ---------------------------------------------------------------------------------------------
// Registry entries (scripts/bench.ts)
// ---------------------------------------------------------------------------------------------

const logLine = (line: string) => process.stderr.write(`${line}\n`);
const SETUP = `autocannon ${HTTP_BENCH.connections} connections, pipelining ${HTTP_BENCH.pipelining}, ${HTTP_BENCH.warmUpS} s warm-up then ${HTTP_BENCH.durationS} s measured, in the bench process; server in a child process`;

/** What every load run reports, under `<prefix>_rps`, `<prefix>_p50_ms`, ... */
function loadRunFigures(prefix: string, run: LoadRun): BenchResult[] {
  return [
    { name: `${prefix}_rps`, value: Math.round(okRps(run)), unit: "requests/s" },
    { name: `${prefix}_p50_ms`, value: run.p50Ms, unit: "ms" },
    { name: `${prefix}_p99_ms`, value: run.p99Ms, unit: "ms" },
    { name: `${prefix}_server_cpu_cores`, value: round(run.serverCores, 3), unit: "cores" },
    { name: `${prefix}_server_us`, value: round(serverUsPerResponse(run), 1), unit: "µs/response" },
    { name: `${prefix}_generator_cpu_cores`, value: round(run.generatorCores, 3), unit: "cores" },
  ];
}

/** run's 2xx rate over the bare server's, same process; nothing when the bare run served none. */
function ratioFigure(name: string, run: LoadRun, raw: LoadRun): BenchResult[] {
  const rawRps = okRps(raw);
  return rawRps > 0 ? [{ name, value: round(okRps(run) / rawRps, 3), unit: "ratio" }] : [];
}

export const HTTP_BENCHMARKS: Benchmark[] = [
  {
    name: "http_order_rps",
    description: `Signed new orders (POST /fapi/v1/order, LIMIT IOC one lot crossing the house ladder, BUY/SELL alternating per account, pre-signed pools) served 2xx per second by the mock exchange's full stack (parse, HMAC, limits, engine, serialise; capacity model off, limits out of reach); ${SETUP}. Shares one run with http_raw_rps and http_busy_raw_rps (raw, busy raw, then the exchange)`,
    async run(): Promise<BenchResult[]> {
      const { order } = await measureHttp(logLine);
      return [
        ...loadRunFigures("http_order", order),
        { name: "http_order_non2xx", value: order.non2xx, unit: "responses" },
        { name: "http_order_errors", value: order.errors, unit: "errors" },
      ];
    },
  },
  {
    name: "http_raw_rps",
    description: `The same requests answered by a bare node:http server with the bytes of one real order response of the mock (status, headers, body); ${SETUP}`,
    async run(): Promise<BenchResult[]> {
      const { raw } = await measureHttp(logLine);
      return loadRunFigures("http_raw", raw);
    },
  },
  {
    name: "http_busy_raw_rps",
    description: `Calibration for http_order_vs_raw: the bare server of http_raw_rps spinning ${HTTP_BENCH.calibrationBusyUs} µs (or STAMPEDE_BENCH_BUSY_US) of CPU per request before it answers (no allocation, no syscall); http_busy_raw_vs_raw is what that added work costs in rate on this machine, and http_busy_raw_server_us what it costs in server CPU; ${SETUP}`,
    async run(): Promise<BenchResult[]> {
      const { raw, busyRaw, busyUs } = await measureHttp(logLine);
      return [
        ...loadRunFigures("http_busy_raw", busyRaw),
        { name: "http_busy_raw_work_us", value: busyUs, unit: "µs/request" },
        ...ratioFigure("http_busy_raw_vs_raw", busyRaw, raw),
      ];
    },
  },
  {
    name: "http_signature_check_us",
    description:
      "In-process µs per signature check of one http_order_rps order (Params + auth.ts verifySigned: timestamp, recvWindow, HMAC-SHA256 with the account's prepared key), over its pre-signed pools, 200,000 checks, no socket: the floor of what HMAC signing alone adds to each order",
    async run(): Promise<BenchResult[]> {
      return [
        { name: "http_signature_check_us", value: round(measureSignatureCheckUs(200_000), 3), unit: "µs" },
      ];
    },
  },
  {
    name: "http_order_vs_raw",
    description: "http_order_rps / http_raw_rps of the same run",
    async run(): Promise<BenchResult[]> {
      const { raw, order } = await measureHttp(logLine);
      return ratioFigure("http_order_vs_raw", order, raw);
    },
  },
];
