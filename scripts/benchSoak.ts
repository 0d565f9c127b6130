import { Agent, request as httpRequest } from "node:http";
import { liquidationCascade20251010 } from "../loadtests/profiles/liquidationCascade20251010.ts";
import { signPayload } from "../mock-exchange/api/auth.ts";
import { EXCHANGE_DEFAULTS, type ExchangeConfig } from "../mock-exchange/defaults.ts";
import { type BenchAccount, benchClientIp, fetchAccounts, spawnBenchExchange } from "./benchHttp.ts";
import type { Benchmark, BenchResult } from "./benchTypes.ts";
import { round } from "./round.ts";

/**
 * `soak_rss_growth_mb`: how much the mock exchange's resident memory grows over a soak of
 * position reads at 1000x normal, after a warm-up. The exchange runs in a child process
 * (scripts/benchServer.ts) with the default capacity model; this process is an open-model load
 * generator (a fixed schedule: requests are sent when due, never held back by slow answers;
 * past `maxInFlight` they are dropped and counted) and samples the child's RSS over IPC.
 * The first half of this file is pure and unit-tested (test/unit/benchHttp.test.ts).
 */

// ---------------------------------------------------------------------------------------------
// Pure helpers
// ---------------------------------------------------------------------------------------------

/** Bytes per MB in the figures, as the drill's RSS figures (scripts/drill.ts): 2^20. */
export const MB = 2 ** 20;

export const DEFAULT_SOAK_MINUTES = 10;

/**
 * Soak length from `STAMPEDE_SOAK_MINUTES` (a positive number, fractions allowed, for quick
 * checks); unset or empty = 10 minutes. Anything else is a usage error, not a silent default.
 */
export function soakMinutes(env: Record<string, string | undefined>): number {
  const raw = env.STAMPEDE_SOAK_MINUTES;
  if (raw === undefined || raw.trim() === "") return DEFAULT_SOAK_MINUTES;
  const minutes = Number(raw);
  if (!Number.isFinite(minutes) || minutes <= 0)
    throw new Error(`STAMPEDE_SOAK_MINUTES must be a positive number of minutes, got ${JSON.stringify(raw)}`);
  return minutes;
}

/**
 * Requests due by `elapsedMs` on a fixed schedule of `ratePerS`, less those already sent: what
 * an open-model generator sends now (k6's arrival-rate executors keep the same schedule).
 */
export function dueSends(elapsedMs: number, ratePerS: number, sentSoFar: number): number {
  if (elapsedMs <= 0) return 0;
  return Math.max(0, Math.floor((elapsedMs * ratePerS) / 1000) - sentSoFar);
}

export interface RssSummary {
  firstMb: number;
  lastMb: number;
  maxMb: number;
  /** last - first: the soak's figure. */
  growthMb: number;
  /** max - first: the worst point of the soak. */
  maxGrowthMb: number;
  samples: number;
}

/** The soak's figures from RSS samples (bytes) taken after the warm-up, in time order. */
export function rssGrowth(samplesBytes: readonly number[]): RssSummary {
  if (samplesBytes.length < 2) throw new Error(`need at least two RSS samples, got ${samplesBytes.length}`);
  const first = samplesBytes[0] as number;
  const last = samplesBytes[samplesBytes.length - 1] as number;
  const max = Math.max(...samplesBytes);
  return {
    firstMb: first / MB,
    lastMb: last / MB,
    maxMb: max / MB,
    growthMb: (last - first) / MB,
    maxGrowthMb: (max - first) / MB,
    samples: samplesBytes.length,
  };
}

/**
 * A signed position read as the drill sends it (loadtests/scenarios/readPosition.ts): query
 * `symbol=...&timestamp=...&signature=...`, HMAC-SHA256 with the account's secret.
 */
export function positionReadPath(account: BenchAccount, symbol: string, timestampMs: number): string {
  const params = `symbol=${symbol}&timestamp=${timestampMs}`;
  return `/fapi/v2/positionRisk?${params}&signature=${signPayload(account.apiSecret, params)}`;
}

// ---------------------------------------------------------------------------------------------
// The benchmark
// ---------------------------------------------------------------------------------------------

/**
 * "Normal" position reads are the liquidation-cascade profile's (1 req/s at drill size; the
 * profile's own first hour runs them at 1000x), so the soak holds 1000x = 1,000 req/s: the
 * crash's read load, sustained. The `soak` profile's normal read rate (10 req/s) at 1000x would
 * be 10,000 req/s, more than one core of generator and one of exchange sustain here.
 */
export const SOAK = {
  normalPositionRatePerS: liquidationCascade20251010.normalRatePerS.position,
  multiple: 1_000,
  /** Clients, each its own account and X-Forwarded-For IP: 1 read/s each, 300 weight/min of 2,400. */
  clients: 1_000,
  warmUpS: 60,
  sampleEveryS: 10,
  /** Scheduler tick; each tick sends what is due. */
  tickMs: 10,
  /** Requests in flight beyond this are dropped (and counted) instead of sent late. */
  maxInFlight: 2_000,
  symbol: "BTCUSDT",
} as const;

export const SOAK_RATE_PER_S = SOAK.normalPositionRatePerS * SOAK.multiple;

/** Defaults throughout (capacity model, limits, replica), with one account and trusted IP per client. */
export const SOAK_CONFIG: ExchangeConfig = {
  ...EXCHANGE_DEFAULTS,
  accounts: SOAK.clients,
  trustProxy: true,
};

export interface SoakMeasurement {
  minutes: number;
  rss: RssSummary;
  sent: number;
  dropped: number;
  byStatus: Record<string, number>;
  errors: number;
  achievedRps: number;
}

async function runSoak(minutes: number, log: (line: string) => void): Promise<SoakMeasurement> {
  const exchange = await spawnBenchExchange(SOAK_CONFIG);
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });
  let timer: NodeJS.Timeout | undefined;
  try {
    const accounts = await fetchAccounts(exchange.url, exchange.controlToken);
    if (accounts.length < SOAK.clients)
      throw new Error(`soak: ${accounts.length} accounts, want ${SOAK.clients}`);
    const url = new URL(exchange.url);
    const byStatus: Record<string, number> = {};
    let sent = 0;
    let dropped = 0;
    let errors = 0;
    let inFlight = 0;
    let client = 0;
    const send = () => {
      const c = client;
      client = (client + 1) % SOAK.clients;
      inFlight++;
      const req = httpRequest(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method: "GET",
          path: positionReadPath(accounts[c] as BenchAccount, SOAK.symbol, Date.now()),
          headers: {
            "X-MBX-APIKEY": (accounts[c] as BenchAccount).apiKey,
            "X-Forwarded-For": benchClientIp(c),
          },
        },
        (res) => {
          const key = String(res.statusCode);
          byStatus[key] = (byStatus[key] ?? 0) + 1;
          res.resume();
          res.on("end", () => inFlight--);
        },
      );
      req.on("error", () => {
        errors++;
        inFlight--;
      });
      req.end();
    };
    const startMs = Date.now();
    let scheduled = 0;
    timer = setInterval(() => {
      const due = dueSends(Date.now() - startMs, SOAK_RATE_PER_S, scheduled);
      for (let i = 0; i < due; i++) {
        scheduled++;
        if (inFlight >= SOAK.maxInFlight) dropped++;
        else {
          sent++;
          send();
        }
      }
    }, SOAK.tickMs);

    log(`soak: ${SOAK_RATE_PER_S} position reads/s over ${SOAK.clients} clients; warm-up ${SOAK.warmUpS} s`);
    await sleep(SOAK.warmUpS * 1000);
    const samples: number[] = [(await exchange.stats()).rssBytes];
    const sentAtWarm = sent;
    const measuredStartMs = Date.now();
    const n = Math.max(1, Math.round((minutes * 60) / SOAK.sampleEveryS));
    for (let i = 1; i <= n; i++) {
      // Sample on the schedule from the first sample, whatever the IPC round trip took.
      await sleep(Math.max(0, measuredStartMs + i * SOAK.sampleEveryS * 1000 - Date.now()));
      const rssBytes = (await exchange.stats()).rssBytes;
      samples.push(rssBytes);
      log(
        `soak: ${((i * SOAK.sampleEveryS) / 60).toFixed(1)}/${minutes} min  rss ${(rssBytes / MB).toFixed(1)} MB  sent ${sent} dropped ${dropped} errors ${errors} statuses ${JSON.stringify(byStatus)}`,
      );
    }
    const measuredS = (Date.now() - measuredStartMs) / 1000;
    return {
      minutes,
      rss: rssGrowth(samples),
      sent,
      dropped,
      byStatus,
      errors,
      achievedRps: (sent - sentAtWarm) / measuredS,
    };
  } finally {
    if (timer !== undefined) clearInterval(timer);
    agent.destroy();
    await exchange.stop();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const SOAK_BENCHMARK: Benchmark = {
  name: "soak_rss_growth_mb",
  description: `RSS growth of the mock exchange (child process, default capacity model and limits, ${SOAK.clients} accounts with their own X-Forwarded-For IPs) under signed GET /fapi/v2/positionRisk at ${SOAK_RATE_PER_S} req/s (1000x the liquidation-cascade profile's normal ${SOAK.normalPositionRatePerS} req/s), open model: last minus first RSS sample, taken every ${SOAK.sampleEveryS} s after a ${SOAK.warmUpS} s warm-up, over STAMPEDE_SOAK_MINUTES (default ${DEFAULT_SOAK_MINUTES}) minutes; also the max`,
  async run(): Promise<BenchResult[]> {
    const minutes = soakMinutes(process.env);
    const m = await runSoak(minutes, (line) => process.stderr.write(`${line}\n`));
    const over = `MB over ${minutes} min`;
    const out: BenchResult[] = [
      { name: "soak_rss_growth_mb", value: round(m.rss.growthMb, 1), unit: over },
      { name: "soak_minutes", value: minutes, unit: "min" },
      { name: "soak_rss_max_growth_mb", value: round(m.rss.maxGrowthMb, 1), unit: over },
      { name: "soak_rss_first_mb", value: round(m.rss.firstMb, 1), unit: "MB" },
      { name: "soak_rss_last_mb", value: round(m.rss.lastMb, 1), unit: "MB" },
      { name: "soak_rss_max_mb", value: round(m.rss.maxMb, 1), unit: "MB" },
      { name: "soak_target_rps", value: SOAK_RATE_PER_S, unit: "requests/s" },
      { name: "soak_sent_rps", value: Math.round(m.achievedRps), unit: "requests/s" },
      { name: "soak_dropped", value: m.dropped, unit: "requests" },
      { name: "soak_errors", value: m.errors, unit: "requests" },
    ];
    for (const [status, count] of Object.entries(m.byStatus).sort())
      out.push({ name: `soak_status_${status}`, value: count, unit: "responses" });
    return out;
  },
};
