import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { classRequestsPerIteration } from "../loadtests/lib/behaviours.ts";
import {
  drillIterationBudgetS,
  naturalDurationS,
  planDrill,
  scaleRates,
  validateProfile,
} from "../loadtests/lib/plan.ts";
import { PROFILES } from "../loadtests/profiles/index.ts";
import type { Profile } from "../loadtests/profiles/types.ts";
import { startMockExchange } from "../mock-exchange/api/server.ts";
import type { ExchangeConfig } from "../mock-exchange/defaults.ts";
import { type Summary, type TimelinePoint, TRAFFIC_CLASSES } from "../reports/model.ts";
import { renderRun } from "../reports/report.ts";
import { EXIT, StampedeError } from "./errors.ts";
import { exchangeConfigFor } from "./exchangeConfig.ts";
import type { K6Binary } from "./k6.ts";
import { ROOT } from "./paths.ts";
import { packageVersion, runId } from "./runFolder.ts";
import { apiKeysFromEnv, checkTarget, type TargetOptions } from "./target.ts";

/**
 * One drill: start the mock exchange on a free port, run k6 with the profile (open model),
 * stream the server timeline and the processes' CPU into runs/<id>/ while it runs, then call the
 * reporter on the folder. Ctrl-C stops k6 gracefully and still reports what was collected.
 */

export interface DrillOptions {
  profileName: string;
  timeScale?: number | undefined;
  durationS?: number | undefined;
  /** Multiplies every class's normal rate (default 1). */
  rateScale?: number | undefined;
  seed: number;
  outDir: string;
  /** Provisioning strategy of the capacity model (capacity/strategies.ts). */
  strategy: string;
  k6: K6Binary;
  /**
   * k6 processes on this machine (default 1). With N > 1 each runs an execution segment
   * ("0:1/2", "1/2:1"; sequence "0,1/2,1") and writes its own latency-<i>.hlog and
   * client-<i>.jsonl (k6-<i>.csv.gz with raw samples); the reporter merges the files exactly
   * (HDR add, counts summed).
   */
  generators?: number | undefined;
  /**
   * Keep every raw k6 sample too (`--out csv=k6.csv.gz`, k6-<i>.csv.gz per generator). By
   * default k6 aggregates inside itself (`--out stampede=<run folder>`, the output extension of
   * loadtests/k6-output/) and writes latency.hlog + client.jsonl; a k6 without the extension
   * (K6_BIN) writes the csv whatever this says.
   */
  rawSamples?: boolean | undefined;
  /**
   * Play the profile against this endpoint instead of a mock exchange started here (a staging
   * venue, a testnet, or `stampede serve` elsewhere). Its control plane is used only when it
   * answers; otherwise keys come from the environment (target.ts).
   */
  target?: TargetOptions | undefined;
  log: (line: string) => void;
  progress: "tty" | "plain" | "none";
}

export interface DrillResult {
  runDir: string;
  summary: Summary;
  exitCode: number;
}

/** Only these k6 system tags go into the CSV: enough to attribute a sample, far fewer bytes. */
export const K6_SYSTEM_TAGS = "status,method,name,scenario,expected_response,error_code";
/** Linux reports process CPU in clock ticks; 100 per second on every mainstream kernel config. */
const CLOCK_TICKS_PER_S = 100;
/** Page size of x86-64 and arm64 Linux defaults, for /proc's rss in pages. */
const PAGE_BYTES = 4096;
/** k6's default gracefulStop for arrival-rate executors, plus setup and slack: the hard stop. */
const K6_OVERRUN_S = 90;

/**
 * k6's outputs for a drill: the stampede extension's aggregates, plus the raw csv when asked;
 * the csv alone when k6 lacks the extension.
 */
export function k6Outputs(extension: boolean, rawSamples: boolean): Array<"stampede" | "csv"> {
  if (!extension) return ["csv"];
  return rawSamples ? ["stampede", "csv"] : ["stampede"];
}

/** One generator's share of the test: k6's --execution-segment and the shared sequence. */
export interface ExecutionSegment {
  segment: string;
  sequence: string;
}

/** N equal execution segments covering 0..1 (none for one generator: it runs the whole test). */
export function executionSegments(n: number): ExecutionSegment[] {
  if (n <= 1) return [];
  const at = (i: number) => (i === 0 ? "0" : i === n ? "1" : `${i}/${n}`);
  const sequence = Array.from({ length: n + 1 }, (_, i) => at(i)).join(",");
  return Array.from({ length: n }, (_, i) => ({ segment: `${at(i)}:${at(i + 1)}`, sequence }));
}

/** CPU ticks used so far and resident memory of a process, from /proc; undefined once it has exited. */
async function processUsage(pid: number): Promise<{ ticks: number; rssMb: number } | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name: utime, stime are fields 14, 15; rss (pages) is 24.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return {
      ticks: Number(fields[11]) + Number(fields[12]),
      rssMb: (Number(fields[21]) * PAGE_BYTES) / 2 ** 20,
    };
  } catch {
    return undefined;
  }
}

export async function runDrill(opts: DrillOptions): Promise<DrillResult> {
  const profile = PROFILES[opts.profileName];
  if (profile === undefined) {
    throw new StampedeError(
      "E_UNKNOWN_PROFILE",
      `unknown profile "${opts.profileName}"; known: ${Object.keys(PROFILES).join(", ")}`,
    );
  }
  if (opts.rateScale !== undefined && !(opts.rateScale > 0 && Number.isFinite(opts.rateScale)))
    throw new StampedeError("E_USAGE", "--rate-scale must be a number > 0");
  const rateScale = opts.rateScale ?? 1;
  const problems = validateProfile(profile);
  if (problems.length > 0)
    throw new StampedeError("E_BAD_PROFILE", `profile ${profile.name} is invalid: ${problems.join("; ")}`);
  const natural = naturalDurationS(profile);
  if (opts.durationS !== undefined && !(opts.durationS >= 5))
    throw new StampedeError("E_USAGE", "--duration must be at least 5 seconds");
  if (opts.timeScale !== undefined && !(opts.timeScale > 0))
    throw new StampedeError("E_USAGE", "--time-scale must be > 0");
  if (!Number.isInteger(opts.seed)) throw new StampedeError("E_USAGE", "--seed must be an integer");
  const generators = opts.generators ?? 1;
  if (!(Number.isInteger(generators) && generators >= 1))
    throw new StampedeError("E_USAGE", "--generators must be an integer >= 1");
  const timeScale =
    opts.durationS !== undefined ? natural / opts.durationS : (opts.timeScale ?? profile.defaultTimeScale);

  const config: ExchangeConfig = exchangeConfigFor(profile, {
    timeScale,
    seed: opts.seed,
    strategy: opts.strategy,
    scale: "drill",
  });
  const iterationBudgetS = drillIterationBudgetS(config.capacity);
  const plan = planDrill(scaleRates(profile, rateScale), { timeScale, iterationBudgetS });

  // Checked before anything is sent: an iteration may send several requests (an order and its
  // read-back, a closer's read, close and read-back), so each class counts its most.
  const peakTotalRps = TRAFFIC_CLASSES.reduce(
    (sum, cls) => sum + plan.classes[cls].peakRatePerS * classRequestsPerIteration(profile.behaviours, cls),
    0,
  );
  const target = opts.target === undefined ? undefined : checkTarget(opts.target, peakTotalRps);

  const outDir = resolve(opts.outDir);
  await mkdir(outDir, { recursive: true });
  const id = runId(profile.name, outDir);
  const runDir = join(outDir, id);
  await mkdir(runDir);

  const exchange: Exchange =
    target === undefined
      ? await startMockExchange({ config }).then(
          (mock) => ({ url: mock.url, config, controlPlane: true, keys: [], close: () => mock.close() }),
          (err: Error) => {
            throw new StampedeError("E_EXCHANGE_FAILED", `mock exchange did not start: ${err.message}`);
          },
        )
      : await openTarget(target.baseUrl, profile, opts.strategy, timeScale, opts.log);
  // Keys for a venue without the control plane travel in k6's environment, never in argv/run.json.
  const targetEnv: Record<string, string> = exchange.controlPlane
    ? {}
    : {
        STAMPEDE_CONTROL_PLANE: "0",
        STAMPEDE_API_KEYS: exchange.keys.map((k) => `${k.apiKey}:${k.apiSecret}`).join(","),
      };
  const script = join(ROOT, "loadtests", "drill.ts");
  const segments = executionSegments(generators);
  // One generator keeps the historical file names (k6.csv.gz, k6.log); N write k6-<i>.*.
  const fileOf = (i: number, ext: string) => (generators === 1 ? `k6.${ext}` : `k6-${i}.${ext}`);
  const outputs = k6Outputs(opts.k6.extension, opts.rawSamples === true);
  const argsOf = (i: number): string[] => {
    const seg = segments[i];
    return [
      "run",
      "--no-thresholds",
      "--summary-mode=disabled",
      "--address",
      "",
      // The extension names its files after the execution segment (latency-<i>.hlog).
      ...(outputs.includes("stampede") ? ["--out", `stampede=${runDir}`] : []),
      ...(outputs.includes("csv") ? ["--out", `csv=${join(runDir, fileOf(i, "csv.gz"))}`] : []),
      ...(seg === undefined
        ? []
        : ["--execution-segment", seg.segment, "--execution-segment-sequence", seg.sequence]),
      ...k6Args.slice(1),
      ...(seg === undefined
        ? []
        : ["-e", `STAMPEDE_GENERATOR=${i}`, "-e", `STAMPEDE_GENERATORS=${generators}`]),
      script,
    ];
  };
  const k6Args = [
    "run",
    `--system-tags=${K6_SYSTEM_TAGS}`,
    "-e",
    `STAMPEDE_BASE_URL=${exchange.url}`,
    "-e",
    `STAMPEDE_PROFILE=${profile.name}`,
    "-e",
    `STAMPEDE_TIME_SCALE=${timeScale}`,
    "-e",
    `STAMPEDE_RATE_SCALE=${rateScale}`,
    "-e",
    `STAMPEDE_SEED=${opts.seed}`,
    "-e",
    `STAMPEDE_ITERATION_BUDGET_S=${iterationBudgetS}`,
  ];
  const generatorRecords = Array.from({ length: generators }, (_, i) => ({
    index: i,
    segment: segments[i]?.segment ?? "0:1",
    args: argsOf(i),
    csv: outputs.includes("csv") ? fileOf(i, "csv.gz") : null,
    log: fileOf(i, "log"),
    exitCode: null as number | null,
    cpuSeconds: 0,
    rssMbMax: 0,
  }));
  const startedAt = new Date();
  const run = {
    id,
    command: `stampede ${process.argv.slice(2).join(" ")}`,
    startedAt: startedAt.toISOString(),
    mode: "drill",
    seed: opts.seed,
    profile,
    strategy: config.capacity.strategy,
    scales: {
      timeScale,
      naturalDurationS: natural,
      wallDurationS: plan.durationS,
      rateScale,
      normalRatePerS: scaleRates(profile, rateScale).normalRatePerS,
      peakRatePerS: Object.fromEntries(Object.entries(plan.classes).map(([c, p]) => [c, p.peakRatePerS])),
    },
    plan,
    exchange: {
      url: exchange.url,
      config: exchange.config,
      ...(target === undefined
        ? {}
        : {
            target: {
              loopback: target.loopback,
              controlPlane: exchange.controlPlane,
              maxRps: opts.target?.maxRps ?? null,
              keysFromEnv: exchange.keys.length,
            },
          }),
    },
    versions: { stampede: await packageVersion(), node: process.version, k6: opts.k6.version },
    k6: {
      path: opts.k6.path,
      source: opts.k6.source,
      args: generatorRecords[0]?.args ?? [],
      env: K6_ENV,
      exitCode: null as number | null,
      /** `stampede` (k6 aggregates: latency(-<i>).hlog, client(-<i>).jsonl) and/or `csv` (raw samples). */
      outputs,
      /** One entry per k6 process (`--generators`): its segment, arguments, exit code and CPU. */
      generators: generatorRecords,
    },
    interrupted: false,
    endedAt: null as string | null,
  };
  await writeRunJson(runDir, run);

  const procs = generatorRecords.map((g) => {
    const log = createWriteStream(join(runDir, g.log));
    const child = spawn(opts.k6.path, g.args, {
      env: { ...process.env, ...K6_ENV, ...targetEnv },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    const exited = new Promise<number>((res) => {
      child.on("exit", (code, signal) => res(code ?? (signal !== null ? 128 : 1)));
      child.on("error", () => res(127));
    });
    return { g, child, log, exited, ticks: 0, running: true };
  });
  const killAll = (signal: NodeJS.Signals) => {
    for (const p of procs) if (p.running) p.child.kill(signal);
  };
  const exited = Promise.all(procs.map((p) => p.exited));

  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    run.interrupted = true;
    opts.log(interrupts === 1 ? "\ninterrupted: stopping k6 (Ctrl-C again to kill it)..." : "\nkilling k6");
    killAll(interrupts === 1 ? "SIGINT" : "SIGKILL");
  };
  process.on("SIGINT", onSigint);
  const hardStop = setTimeout(
    () => {
      opts.log(`k6 overran the plan by ${K6_OVERRUN_S} s: killing it`);
      killAll("SIGKILL");
    },
    (plan.durationS + K6_OVERRUN_S) * 1000,
  );

  const timelinePath = join(runDir, "timeline.jsonl");
  const generatorPath = join(runDir, "generator.jsonl");
  let lastTimelineS = 0;
  const pullTimeline = async (): Promise<TimelinePoint[]> => {
    if (!exchange.controlPlane) return [];
    const res = await fetch(`${exchange.url}/__stampede/timeline?since=${lastTimelineS}`);
    const text = await res.text();
    const points = text
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as TimelinePoint);
    if (points.length > 0) {
      lastTimelineS = (points[points.length - 1] as TimelinePoint).tWallS;
      await appendFile(timelinePath, text);
    }
    return points;
  };

  const progress = new Progress(opts.progress, plan.durationS, opts.log);
  for (const p of procs) {
    p.ticks = (await processUsage(p.child.pid ?? -1))?.ticks ?? 0;
    void p.exited.then(() => {
      p.running = false;
    });
  }
  let k6RssMbMax = 0;
  let selfCpu = process.cpuUsage();
  let lastSampleMs = Date.now();
  let k6CpuSeconds = 0;
  let running = true;
  let loadStartMs: number | undefined;
  void exited.then(() => {
    running = false;
  });
  const sampler = (async () => {
    while (running) {
      await new Promise((r) => setTimeout(r, 1000));
      const now = Date.now();
      const sampleS = (now - lastSampleMs) / 1000;
      lastSampleMs = now;
      // Every k6 process's CPU and memory, summed: the load generator is all of them.
      let k6CpuCores = 0;
      let rssMb = 0;
      const byGenerator: number[] = [];
      for (const p of procs) {
        const usage = await processUsage(p.child.pid ?? -1);
        let cores = 0;
        if (usage !== undefined) {
          const cpuS = (usage.ticks - p.ticks) / CLOCK_TICKS_PER_S;
          cores = cpuS / sampleS;
          p.g.cpuSeconds += cpuS;
          k6CpuSeconds += cpuS;
          p.ticks = usage.ticks;
          rssMb += usage.rssMb;
          p.g.rssMbMax = Math.max(p.g.rssMbMax, Math.round(usage.rssMb));
        }
        k6CpuCores += cores;
        byGenerator.push(round2(cores));
      }
      const k6RssMb = Math.round(rssMb);
      k6RssMbMax = Math.max(k6RssMbMax, k6RssMb);
      const cpu = process.cpuUsage(selfCpu);
      selfCpu = process.cpuUsage();
      // This process's CPU is the exchange's only when the mock runs in it.
      const exchangeCpuCores = target === undefined ? (cpu.user + cpu.system) / 1e6 / sampleS : 0;
      await appendFile(
        generatorPath,
        `${JSON.stringify({ tsMs: now, k6CpuCores: round2(k6CpuCores), exchangeCpuCores: round2(exchangeCpuCores), k6RssMb, ...(procs.length > 1 ? { k6CpuCoresByGenerator: byGenerator } : {}) })}\n`,
      );
      const points = await pullTimeline().catch(() => []);
      // The profile's clock starts with the first arrivals, after k6 has initialised its VUs.
      const first = points.find((p) => p.offered > 0);
      if (loadStartMs === undefined && first !== undefined) loadStartMs = first.tsMs - 1000;
      const elapsedS = loadStartMs === undefined ? undefined : (now - loadStartMs) / 1000;
      progress.update(elapsedS, points[points.length - 1], k6CpuCores, plan.phases);
    }
  })();

  const exitCodes = await exited;
  // The run's k6 exit code: the first failing generator's, else 0.
  const k6Exit = exitCodes.find((c) => c !== 0) ?? 0;
  clearTimeout(hardStop);
  await sampler;
  progress.done();
  process.off("SIGINT", onSigint);
  // Let the exchange close the second in flight so the timeline covers the whole run.
  await new Promise((r) => setTimeout(r, 1100));
  await pullTimeline().catch(() => []);
  await exchange.close();
  await Promise.all(procs.map((p) => new Promise<void>((r) => p.log.end(() => r()))));

  run.k6.exitCode = k6Exit;
  generatorRecords.forEach((g, i) => {
    g.exitCode = exitCodes[i] ?? null;
    g.cpuSeconds = round2(g.cpuSeconds);
  });
  run.endedAt = new Date().toISOString();
  (run.k6 as Record<string, unknown>).cpuSeconds = Math.round(k6CpuSeconds * 100) / 100;
  (run.k6 as Record<string, unknown>).rssMbMax = k6RssMbMax;
  await writeRunJson(runDir, run);

  const summary = await renderRun(runDir).catch((err: unknown) => {
    throw err instanceof StampedeError
      ? err
      : new StampedeError(
          "E_REPORT_FAILED",
          `report of ${runDir} failed: ${err instanceof Error ? err.message : String(err)}`,
        );
  });
  // Relative when inside the working directory (runs/<id>/), absolute otherwise.
  const fromCwd = relative(process.cwd(), runDir);
  const rel = fromCwd === "" || fromCwd.startsWith("..") ? runDir : fromCwd;
  const exitCode = k6Exit === 0 || run.interrupted ? EXIT.ok : EXIT.harness;
  if (exitCode !== EXIT.ok) {
    const failed = generatorRecords.find((g) => g.exitCode !== 0) ?? generatorRecords[0];
    opts.log(`k6 exited with code ${k6Exit}; see ${join(rel, failed?.log ?? "k6.log")}`);
  }
  for (const w of summary.generator.warnings) opts.log(`warning: ${w}`);
  opts.log(
    `done: ${summary.requests} requests, p99 ${summary.latencyMs.p99} ms, rejected ${(summary.rejected.rate * 100).toFixed(1)}%, ` +
      `stale reads ${summary.staleReads.count}/${summary.staleReads.checked}, dropped iterations ${summary.droppedIterations}`,
  );
  return { runDir: rel.endsWith("/") ? rel : `${rel}/`, summary, exitCode };
}

/** What a drill loads: the mock exchange started here, or an external target. */
interface Exchange {
  url: string;
  /** The exchange's configuration when known (ours, or the target's control plane's). */
  config: unknown;
  controlPlane: boolean;
  keys: Array<{ apiKey: string; apiSecret: string }>;
  close(): Promise<void>;
}

/**
 * An external target: when its control plane answers (a `stampede serve` elsewhere), reset it
 * with the drill's strategy and faults and read accounts and the timeline from it; otherwise take
 * keys from the environment and skip everything the venue does not offer.
 */
async function openTarget(
  baseUrl: string,
  profile: Profile,
  strategy: string,
  timeScale: number,
  log: (line: string) => void,
): Promise<Exchange> {
  const probe = await fetch(`${baseUrl}/__stampede/config`, { signal: AbortSignal.timeout(3000) })
    .then(async (res) => (res.ok ? ((await res.json()) as { config?: ExchangeConfig }) : undefined))
    .catch(() => undefined);
  const served = probe?.config;
  if (served !== undefined) {
    const reset = await fetch(`${baseUrl}/__stampede/reset`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        strategy,
        faults: profile.faults ?? [],
        marketEvents: profile.marketEvents ?? [],
      }),
      signal: AbortSignal.timeout(3000),
    });
    if (!reset.ok)
      throw new StampedeError(
        "E_USAGE",
        `the target's control plane refused the reset (${reset.status}): ${await reset.text()}`,
      );
    if (served.timeScale !== timeScale)
      log(
        `warning: the target runs at time scale ${served.timeScale}, the drill at ${timeScale}: its limit windows and lags are compressed differently`,
      );
    log(
      `target ${baseUrl}: control plane answers (strategy ${strategy}); timeline and accounts come from it`,
    );
    return { url: baseUrl, config: served, controlPlane: true, keys: [], close: async () => {} };
  }
  const keys = apiKeysFromEnv(process.env);
  if (keys.length === 0)
    throw new StampedeError(
      "E_USAGE",
      `target ${baseUrl} has no stampede control plane: give API keys in STAMPEDE_API_KEYS="key:secret,..." (or STAMPEDE_API_KEY and STAMPEDE_API_SECRET)`,
    );
  log(
    `target ${baseUrl}: no control plane; ${keys.length} API key(s) from the environment, no server timeline`,
  );
  return { url: baseUrl, config: null, controlPlane: false, keys, close: async () => {} };
}

/** k6 runs offline and writes microsecond timestamps (reference.md "k6"). */
const K6_ENV = {
  K6_CSV_TIME_FORMAT: "unix_micro",
  K6_NO_USAGE_REPORT: "true",
  K6_AUTO_EXTENSION_RESOLUTION: "false",
} as const;

const round2 = (x: number) => Math.round(x * 100) / 100;

async function writeRunJson(runDir: string, run: object): Promise<void> {
  await writeFile(join(runDir, "run.json"), `${JSON.stringify(run, null, 2)}\n`);
}

/** The live line on a terminal; a plain line every few seconds elsewhere (CI logs). */
class Progress {
  private lastPlainS = -Infinity;
  constructor(
    private readonly mode: DrillOptions["progress"],
    private readonly totalS: number,
    private readonly log: (line: string) => void,
  ) {}

  update(
    elapsedS: number | undefined,
    point: TimelinePoint | undefined,
    k6CpuCores: number,
    phases: Array<{ name: string; startS: number; endS: number }>,
  ): void {
    if (this.mode === "none") return;
    if (elapsedS === undefined) {
      if (this.mode === "tty")
        process.stderr.write(`\rstarting k6 (initialising VUs; k6 cpu ${k6CpuCores.toFixed(2)})\x1b[K`);
      return;
    }
    const phase = phases.find((p) => elapsedS >= p.startS && elapsedS < p.endS)?.name ?? "finishing";
    const rejected =
      point === undefined ? 0 : Object.values(point.rejected).reduce((a, b) => a + (b ?? 0), 0);
    const line =
      `[${fmt(elapsedS, 4)}s/${Math.round(this.totalS)}s] ${phase.padEnd(9)} offered ${fmt(point?.offered ?? 0, 5)}/s  ` +
      `server p99 ${point?.serverP99Ms == null ? "    -" : fmt(point.serverP99Ms, 5)} ms  rejects ${fmt(rejected, 5)}/s  ` +
      `queue ${fmt(point?.queueDepthMax ?? 0, 3)}  replica lag ${fmt(point?.replicaLagMs ?? 0, 6)} ms  k6 cpu ${k6CpuCores.toFixed(2)}`;
    if (this.mode === "tty") {
      process.stderr.write(`\r${line}\x1b[K`);
    } else if (elapsedS - this.lastPlainS >= 5) {
      this.lastPlainS = elapsedS;
      this.log(line);
    }
  }

  done(): void {
    if (this.mode === "tty") process.stderr.write("\n");
  }
}

function fmt(x: number, width: number): string {
  return String(Math.round(x)).padStart(width);
}
