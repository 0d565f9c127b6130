import { execFile, spawn } from "node:child_process";
import { createReadStream, existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { createGunzip } from "node:zlib";
import { startVenueServer } from "../mock-exchange/api/server.ts";
import { EXCHANGE_DEFAULTS, type ExchangeConfig } from "../mock-exchange/defaults.ts";
import { K6_SYSTEM_TAGS } from "./drill.ts";
import { ensureK6 } from "./k6.ts";
import { ROOT } from "./paths.ts";

/**
 * Generator honesty (issue 5): the highest rate the k6 path sustains on this machine with no
 * dropped iterations (`generator_max_rps`), and that rate over wrk's against the same endpoint in
 * the same run (`generator_vs_wrk`). The first half of this file is pure (search, parsing, CPU
 * windows) and unit-tested; the second half runs k6, wrk and the mock exchange.
 */

// ---------------------------------------------------------------------------------------------
// Pure helpers
// ---------------------------------------------------------------------------------------------

export interface SearchOptions {
  /** First rate tried, req/s. */
  startRps: number;
  /** The doubling stops here (a rate above it is never tried). */
  maxRps: number;
  /** The halving (when even the start rate fails) stops below this. */
  minRps: number;
  /** Bisection ends when (lowest failed - highest sustained) <= this fraction of the lowest failed. */
  resolution: number;
  /** Rates are rounded to a multiple of this. */
  granularity: number;
}

export const SEARCH_DEFAULTS: SearchOptions = {
  startRps: 1_000,
  maxRps: 128_000,
  minRps: 100,
  resolution: 0.08,
  granularity: 50,
};

export interface StepOutcome {
  targetRps: number;
  sustained: boolean;
}

/**
 * The next rate to try after `history` (doubling from the start rate until a step fails, then
 * bisection between the highest sustained and the lowest failed rate), or undefined when the
 * search is done. Noisy, non-monotonic outcomes are tolerated: the bracket is the lowest failed
 * rate and the highest sustained rate below it. Never repeats a rate.
 */
export function nextRate(
  history: readonly StepOutcome[],
  opts: SearchOptions = SEARCH_DEFAULTS,
): number | undefined {
  if (history.length === 0) return opts.startRps;
  const tried = new Set(history.map((h) => h.targetRps));
  const failed = history.filter((h) => !h.sustained).map((h) => h.targetRps);
  if (failed.length === 0) {
    const next = Math.max(...history.map((h) => h.targetRps)) * 2;
    return next <= opts.maxRps ? next : undefined;
  }
  const hi = Math.min(...failed);
  const below = history.filter((h) => h.sustained && h.targetRps < hi).map((h) => h.targetRps);
  if (below.length === 0) {
    // Even the lowest rate tried failed: halve down to minRps.
    const next = roundTo(hi / 2, opts.granularity);
    return next >= opts.minRps && !tried.has(next) ? next : undefined;
  }
  const lo = Math.max(...below);
  if (hi - lo <= hi * opts.resolution) return undefined;
  const next = roundTo((lo + hi) / 2, opts.granularity);
  return next > lo && next < hi && !tried.has(next) ? next : undefined;
}

/** The highest sustained rate below the lowest failed one (the search's answer), or undefined. */
export function maxSustained(history: readonly StepOutcome[]): number | undefined {
  const failed = history.filter((h) => !h.sustained).map((h) => h.targetRps);
  const hi = failed.length === 0 ? Number.POSITIVE_INFINITY : Math.min(...failed);
  const ok = history.filter((h) => h.sustained && h.targetRps < hi).map((h) => h.targetRps);
  return ok.length === 0 ? undefined : Math.max(...ok);
}

function roundTo(x: number, step: number): number {
  return Math.max(step, Math.round(x / step) * step);
}

/**
 * Pre-allocated VUs for a rate: rate x expected latency x headroom (Little's law), at least
 * `min`. Default: 5 ms expected latency on loopback (ping is ~1 ms of modelled service plus the
 * timer) x 30 headroom = 150 ms of stall absorbed: on this 2-core box single responses take up
 * to ~100-150 ms when a GC or scheduler pause hits, and with 50 ms of headroom k6 dropped
 * iterations at 6000 req/s with CPU to spare (300 VUs: 398 dropped; 600 VUs: none).
 */
export function vusForRate(rps: number, expectedLatencyMs = 5, headroom = 30, min = 32): number {
  return Math.max(min, Math.ceil((rps * expectedLatencyMs * headroom) / 1000));
}

/** What one step's k6 csv says. */
export interface K6Tally {
  /** All http_reqs samples. */
  httpReqs: number;
  /** http_reqs with status 200. */
  ok: number;
  /** Sum of dropped_iterations samples. */
  dropped: number;
  iterations: number;
  /** Sum of http_req_duration, ms (for the mean). */
  durationMsSum: number;
  durationCount: number;
}

export function emptyTally(): K6Tally {
  return { httpReqs: 0, ok: 0, dropped: 0, iterations: 0, durationMsSum: 0, durationCount: 0 };
}

/**
 * Counts a k6 `--out csv` file line by line: feed the header first, then the rows. Columns are
 * found by name, so any `--system-tags` selection that keeps `status` works.
 */
export class K6CsvCounter {
  readonly tally: K6Tally = emptyTally();
  private metricCol = -1;
  private valueCol = -1;
  private statusCol = -1;

  line(text: string): void {
    if (text === "") return;
    const cells = text.split(",");
    if (this.metricCol < 0) {
      this.metricCol = cells.indexOf("metric_name");
      this.valueCol = cells.indexOf("metric_value");
      this.statusCol = cells.indexOf("status");
      if (this.metricCol < 0 || this.valueCol < 0)
        throw new Error(`not a k6 csv header: ${text.slice(0, 120)}`);
      return;
    }
    const metric = cells[this.metricCol];
    const t = this.tally;
    switch (metric) {
      case "http_reqs":
        t.httpReqs++;
        if (this.statusCol >= 0 && cells[this.statusCol] === "200") t.ok++;
        break;
      case "dropped_iterations":
        t.dropped += Number(cells[this.valueCol]);
        break;
      case "iterations":
        t.iterations++;
        break;
      case "http_req_duration":
        t.durationMsSum += Number(cells[this.valueCol]);
        t.durationCount++;
        break;
    }
  }
}

/** A step counts as sustained when nothing was dropped and >= `fraction` of the target was served. */
export function isSustained(targetRps: number, durationS: number, tally: K6Tally, fraction = 0.97): boolean {
  return tally.dropped === 0 && tally.ok / durationS >= fraction * targetRps;
}

/** `Requests/sec:  31234.56` from wrk's output. */
export function parseWrkRps(stdout: string): number | undefined {
  const m = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  return m === null ? undefined : Number(m[1]);
}

/** utime + stime (clock ticks) from a /proc/<pid>/stat line (fields 14 and 15; comm may hold spaces). */
export function procStatTicks(stat: string): number | undefined {
  const close = stat.lastIndexOf(")");
  if (close < 0) return undefined;
  const rest = stat
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state): utime is field 14 -> rest[11], stime field 15 -> rest[12].
  const u = Number(rest[11]);
  const s = Number(rest[12]);
  return Number.isFinite(u) && Number.isFinite(s) ? u + s : undefined;
}

/**
 * Machine-wide busy and steal ticks from the `cpu` line of /proc/stat (busy = user + nice +
 * system + irq + softirq + steal): shows when something outside k6 and the exchange takes the CPU.
 */
export function procStatHostTicks(stat: string): { busy: number; steal: number } | undefined {
  const line = stat.split("\n").find((l) => l.startsWith("cpu "));
  if (line === undefined) return undefined;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  if ([user, nice, system, irq, softirq, steal].some((x) => x === undefined || !Number.isFinite(x)))
    return undefined;
  const st = steal as number;
  return {
    busy:
      (user as number) + (nice as number) + (system as number) + (irq as number) + (softirq as number) + st,
    steal: st,
  };
}

/** One poll during a step. */
export interface CpuSample {
  tMs: number;
  /** k6's CPU so far, seconds. */
  k6CpuS: number;
  /** The exchange's (this process's) CPU so far, seconds. */
  exchangeCpuS: number;
  /** Requests the exchange has received so far. */
  served: number;
  /** Machine-wide busy CPU so far (all processes, incl. steal), seconds. */
  hostBusyS: number;
}

export interface LoadWindow {
  seconds: number;
  k6Cores: number;
  exchangeCores: number;
  servedPerS: number;
  /** Machine-wide busy cores (k6 + exchange + everything else on the shared box). */
  hostCores: number;
}

/**
 * CPU of both sides while load was flowing: the intervals between polls in which the exchange
 * received requests, without the first and the last (k6's start-up and wind-down are partial),
 * and without the first `warmUpMs` of load when given. Undefined when fewer than 3 such intervals.
 */
export function loadWindow(samples: readonly CpuSample[], warmUpMs = 0): LoadWindow | undefined {
  let first = -1;
  let last = -1;
  for (let k = 1; k < samples.length; k++) {
    if ((samples[k] as CpuSample).served > (samples[k - 1] as CpuSample).served) {
      if (first < 0) first = k - 1;
      last = k;
    }
  }
  if (first < 0 || last - first < 4) return undefined;
  let from = first + 1;
  const loadStartMs = (samples[first] as CpuSample).tMs;
  while (from < last - 1 && (samples[from] as CpuSample).tMs - loadStartMs < warmUpMs) from++;
  const a = samples[from] as CpuSample;
  const b = samples[last - 1] as CpuSample;
  const seconds = (b.tMs - a.tMs) / 1000;
  if (seconds <= 0) return undefined;
  return {
    seconds,
    k6Cores: (b.k6CpuS - a.k6CpuS) / seconds,
    exchangeCores: (b.exchangeCpuS - a.exchangeCpuS) / seconds,
    servedPerS: (b.served - a.served) / seconds,
    hostCores: (b.hostBusyS - a.hostBusyS) / seconds,
  };
}

// ---------------------------------------------------------------------------------------------
// Runner (k6, wrk, the mock exchange): not unit-tested, exercised by `npm run bench`
// ---------------------------------------------------------------------------------------------

/** Seconds each k6 step offers load. */
export const STEP_DURATION_S = 6;
/** The search stops starting steps after this many seconds (each step is ~8 s with k6's start-up). */
const SEARCH_BUDGET_S = 100;
const MAX_STEPS = 12;
const POLL_MS = 200;
/**
 * wrk tuned: with -c64 wrk is bound by the endpoint's latency, not by CPU (64 connections over
 * ~3 ms per ping, the modelled ~1 ms service plus the timer: ~19-22k req/s); -c256 gives ~47k.
 */
export const WRK_ARGS = ["-t1", "-c256", "-d5s"];

/**
 * The exchange for the benchmark: `overprovisioned` at 100x baseline (300 gateway workers at
 * ~1 ms per ping: ~300k req/s of modelled capacity, far above what this machine can send) and a
 * request-weight (and order-count) limit of 1e12 per minute, so neither the capacity model nor
 * the limiters bind (no 429, so no ban): what is measured is the generator and the HTTP stack.
 */
export const BENCH_EXCHANGE_CONFIG: ExchangeConfig = {
  ...EXCHANGE_DEFAULTS,
  limits: { ...EXCHANGE_DEFAULTS.limits, weightPerMinute: 1e12, ordersPer10s: 1e12, ordersPerMinute: 1e12 },
  capacity: {
    ...EXCHANGE_DEFAULTS.capacity,
    strategy: "overprovisioned",
    strategyParams: { overprovisionFactor: 100 },
    maxQueue: 1_000_000,
  },
};

export interface StepResult extends StepOutcome {
  tally: K6Tally;
  window: LoadWindow | undefined;
  vus: number;
}

export interface GeneratorMeasurement {
  steps: StepResult[];
  maxRps: number | undefined;
  searchS: number;
  /** undefined when wrk is missing and could not be installed. */
  wrk: { rps: number; exchangeCores: number } | undefined;
}

let cached: Promise<GeneratorMeasurement> | undefined;

/** One measurement per process: `generator_max_rps` and `generator_vs_wrk` share it. */
export function measureGenerator(log: (line: string) => void): Promise<GeneratorMeasurement> {
  cached ??= runMeasurement(log);
  return cached;
}

async function runMeasurement(log: (line: string) => void): Promise<GeneratorMeasurement> {
  const k6 = await ensureK6(log);
  const exchange = await startVenueServer({ host: "127.0.0.1", port: 0, config: BENCH_EXCHANGE_CONFIG });
  let served = 0;
  exchange.server.on("request", () => {
    served++;
  });
  const dir = await mkdtemp(join(tmpdir(), "stampede-bench-generator-"));
  const clkTck = await clockTicks();
  try {
    const wrkBin = await ensureWrk(log);
    let wrk: GeneratorMeasurement["wrk"];
    if (wrkBin !== undefined) {
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      // wrk runs in its own process; awaiting it keeps this event loop (the exchange) free.
      const out = await runCapture(wrkBin, [...WRK_ARGS, `${exchange.url}/fapi/v1/ping`], 30_000);
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      const rps = parseWrkRps(out.stdout);
      if (rps === undefined)
        log(`wrk printed no Requests/sec (exit ${out.code}): ${out.stdout}${out.stderr}`);
      else {
        wrk = { rps, exchangeCores: (cpu.user + cpu.system) / 1e6 / wall };
        log(`wrk ${WRK_ARGS.join(" ")}: ${rps} req/s`);
      }
    }
    const began = Date.now();
    const steps: StepResult[] = [];
    for (let i = 0; i < MAX_STEPS; i++) {
      const rate = nextRate(steps);
      if (rate === undefined) break;
      if ((Date.now() - began) / 1000 > SEARCH_BUDGET_S) {
        log(`search budget of ${SEARCH_BUDGET_S} s spent: stopping`);
        break;
      }
      const step = await runStep(k6.path, exchange.url, rate, dir, clkTck, () => served);
      steps.push(step);
      const w = step.window;
      log(
        `k6 step ${rate} req/s (${step.vus} VUs): ${(step.tally.ok / STEP_DURATION_S).toFixed(0)} ok/s, ` +
          `dropped ${step.tally.dropped}, ${step.sustained ? "sustained" : "NOT sustained"}` +
          (w === undefined
            ? ""
            : `; k6 ${w.k6Cores.toFixed(2)} cores, exchange ${w.exchangeCores.toFixed(2)} cores, machine ${w.hostCores.toFixed(2)} busy cores`),
      );
    }
    return { steps, maxRps: maxSustained(steps), searchS: (Date.now() - began) / 1000, wrk };
  } finally {
    await exchange.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function runStep(
  k6: string,
  baseUrl: string,
  rate: number,
  dir: string,
  clkTck: number,
  served: () => number,
): Promise<StepResult> {
  const csv = join(dir, `k6-${rate}.csv.gz`);
  const vus = vusForRate(rate);
  const args = [
    "run",
    "--quiet",
    "--no-thresholds",
    "--summary-mode=disabled",
    `--system-tags=${K6_SYSTEM_TAGS}`,
    "--out",
    `csv=${csv}`,
    "-e",
    `BENCH_BASE_URL=${baseUrl}`,
    "-e",
    `BENCH_RATE=${rate}`,
    "-e",
    `BENCH_DURATION_S=${STEP_DURATION_S}`,
    "-e",
    `BENCH_VUS=${vus}`,
    join(ROOT, "loadtests", "bench", "ping.ts"),
  ];
  const child = spawn(k6, args, {
    env: {
      ...process.env,
      K6_CSV_TIME_FORMAT: "unix_micro",
      K6_NO_USAGE_REPORT: "true",
      K6_AUTO_EXTENSION_RESOLUTION: "false",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    if (stderr.length < 8_000) stderr += d.toString();
  });
  const samples: CpuSample[] = [];
  const t0 = Date.now();
  const poll = async () => {
    const stat = await readFile(`/proc/${child.pid}/stat`, "utf8").catch(() => undefined);
    const ticks = stat === undefined ? undefined : procStatTicks(stat);
    if (ticks === undefined) return;
    const host = procStatHostTicks(await readFile("/proc/stat", "utf8").catch(() => ""));
    const cpu = process.cpuUsage();
    samples.push({
      hostBusyS: (host?.busy ?? 0) / clkTck,
      tMs: Date.now() - t0,
      k6CpuS: ticks / clkTck,
      exchangeCpuS: (cpu.user + cpu.system) / 1e6,
      served: served(),
    });
  };
  const timer = setInterval(() => void poll(), POLL_MS);
  const killer = setTimeout(() => child.kill("SIGKILL"), (STEP_DURATION_S + 40) * 1000);
  const code = await new Promise<number>((resolve) => {
    child.on("exit", (c) => resolve(c ?? 1));
    child.on("error", () => resolve(1));
  });
  clearInterval(timer);
  clearTimeout(killer);
  if (code !== 0) throw new Error(`k6 exited ${code} at ${rate} req/s: ${stderr.slice(0, 2_000)}`);
  const tally = await countK6Csv(csv);
  return {
    targetRps: rate,
    sustained: isSustained(rate, STEP_DURATION_S, tally),
    tally,
    window: loadWindow(samples),
    vus,
  };
}

export async function countK6Csv(file: string): Promise<K6Tally> {
  const counter = new K6CsvCounter();
  const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
  for await (const line of lines) counter.line(line);
  return counter.tally;
}

export async function clockTicks(): Promise<number> {
  const out = await runCapture("getconf", ["CLK_TCK"], 5_000).catch(() => undefined);
  const n = Number(out?.stdout.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":"))
    if (dir !== "" && existsSync(join(dir, name))) return join(dir, name);
  return undefined;
}

/** wrk from PATH, else `apt-get update && apt-get install -y wrk` (bounded); undefined if that fails. */
async function ensureWrk(log: (line: string) => void): Promise<string | undefined> {
  const found = onPath("wrk");
  if (found !== undefined) return found;
  log("wrk is missing: installing it with apt-get (update, then install -y wrk)...");
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const update = await runCapture("apt-get", ["update"], 180_000, env).catch((e: unknown) => ({
    code: 1,
    stdout: "",
    stderr: String(e),
  }));
  if (update.code !== 0) log(`apt-get update failed (exit ${update.code}); trying the install anyway`);
  const install = await runCapture("apt-get", ["install", "-y", "wrk"], 300_000, env).catch((e: unknown) => ({
    code: 1,
    stdout: "",
    stderr: String(e),
  }));
  const path = onPath("wrk");
  if (install.code !== 0 || path === undefined) {
    log(
      `could not install wrk (apt-get install -y wrk exited ${install.code}: ${install.stderr.trim().slice(-400)}); ` +
        "generator_vs_wrk and wrk_rps are not measured: install wrk and run `npm run bench -- --json generator_vs_wrk`",
    );
    return undefined;
  }
  return path;
}

const execFileP = promisify(execFile);

async function runCapture(
  cmd: string,
  args: string[],
  timeoutMs: number,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileP(cmd, args, {
      timeout: timeoutMs,
      env: { ...process.env, ...env },
      maxBuffer: 16 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    if (e.stdout === undefined && e.stderr === undefined) throw err;
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}
