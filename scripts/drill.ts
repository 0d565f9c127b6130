import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { constants as osConstants } from "node:os";
import { join, relative, resolve } from "node:path";
import { scaleRates } from "../loadtests/lib/plan.ts";
import type { Profile } from "../loadtests/profiles/types.ts";
import { startMockExchange } from "../mock-exchange/api/server.ts";
import type { ExchangeConfig } from "../mock-exchange/defaults.ts";
import type { Summary, TimelinePoint } from "../reports/model.ts";
import { renderRun } from "../reports/report.ts";
import { ControlPlane, LeaseKeeper, probeDialect, type VenueIdentity } from "./controlPlane.ts";
import { prepareDrill } from "./drillPlan.ts";
import { EXIT, StampedeError } from "./errors.ts";
import type { K6Binary } from "./k6.ts";
import { type K6DrillOptions, k6Extras } from "./k6Ecosystem.ts";
import { machineCores } from "./machineCores.ts";
import { ROOT } from "./paths.ts";
import { packageVersion, runId } from "./runFolder.ts";
import { apiKeysFromEnv, type TargetOptions } from "./target.ts";

/**
 * One drill: start the mock exchange on a free port, run k6 with the profile (open model),
 * stream the server timeline and the processes' CPU into runs/<id>/ while it runs, then call the
 * reporter on the folder. SIGINT (Ctrl-C) or SIGTERM (how CI cancels a job) stops k6 gracefully
 * and still reports what was collected, marked interrupted; a second signal kills k6.
 */

export interface DrillOptions extends K6DrillOptions {
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
  /** A signal stopped the drill (its report covers what was collected until then). */
  interrupted: boolean;
}

/** The signals that stop a drill: Ctrl-C, and what CI runners and `kill` send. */
const STOP_SIGNALS = ["SIGINT", "SIGTERM"] as const;

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
  const {
    profile,
    rateScale,
    generators,
    naturalS: natural,
    timeScale,
    config,
    iterationBudgetS,
    plan,
    target,
  } = prepareDrill(opts);

  // The venue is opened before the run folder exists: a target that redirects, refuses the
  // connection, wants a token or is leased by another drill leaves no folder behind.
  const exchange: Exchange =
    target === undefined
      ? await startOwnExchange(config, opts.log)
      : await openTarget(target.baseUrl, profile, opts.strategy, timeScale, opts.log);
  let id: string;
  let runDir: string;
  try {
    ({ id, runDir } = await createRunFolder(
      opts.outDir,
      profile.name,
      exchange.tokenFile ? exchange.token : undefined,
    ));
  } catch (err) {
    await exchange.keeper?.stop();
    await exchange.close();
    throw err;
  }
  // Secrets travel in k6's environment, never in argv or run.json: the control token (k6's
  // setup() reads the accounts with it), or a venue's own keys when it has no control plane.
  const { STAMPEDE_CONTROL_TOKEN: _inherited, ...inheritedEnv } = process.env;
  const targetEnv: Record<string, string> =
    exchange.control !== undefined
      ? exchange.token === undefined
        ? {}
        : { STAMPEDE_CONTROL_TOKEN: exchange.token }
      : {
          STAMPEDE_CONTROL_PLANE: "0",
          STAMPEDE_API_KEYS: exchange.keys.map((k) => `${k.apiKey}:${k.apiSecret}`).join(","),
        };
  const extras = await k6Extras(opts, runDir, generators);
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
      ...extras.args(i),
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
              controlPlane: exchange.control !== undefined,
              maxRps: opts.target?.maxRps ?? null,
              keysFromEnv: exchange.keys.length,
            },
          }),
    },
    versions: { stampede: await packageVersion(), node: process.version, k6: opts.k6.version },
    machine: machineCores(),
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
      /** Why k6 was killed rather than left to stop: a second signal, or overrunning the plan. */
      killedBy: null as "second-signal" | "overrun" | null,
    },
    interrupted: false,
    /** The first signal that stopped the drill (SIGINT, SIGTERM); null when none did. */
    signal: null as NodeJS.Signals | null,
    /** The venue was reset (or restarted) by someone else while the drill ran (controlPlane.ts LeaseKeeper). */
    venueResetDetected: false,
    endedAt: null as string | null,
  };
  // Writes one after the other: a signal's write must not interleave with the final one.
  let runJsonWritten = writeRunJson(runDir, run);
  const saveRun = () => {
    runJsonWritten = runJsonWritten.then(() => writeRunJson(runDir, run));
    return runJsonWritten;
  };
  await runJsonWritten;
  exchange.keeper?.start();

  const procs = generatorRecords.map((g) => {
    const log = createWriteStream(join(runDir, g.log));
    const child = spawn(opts.k6.path, g.args, {
      env: { ...inheritedEnv, ...K6_ENV, ...targetEnv, ...extras.env(g.index) },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group: a Ctrl-C at the terminal (a signal to the whole group) must reach
      // k6 once, through us. With the terminal's and ours close together k6 either took the
      // second for a hard stop or died, without flushing its csv.gz (4 of 6 tries).
      detached: true,
    });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    const exited = new Promise<number>((res) => {
      // Killed by a signal: 128 + its number, as a shell reports it.
      child.on("exit", (code, signal) =>
        res(code ?? (signal !== null ? 128 + (osConstants.signals[signal] ?? 0) : 1)),
      );
      child.on("error", () => res(127));
    });
    return { g, child, log, exited, ticks: 0, running: true };
  });
  const killAll = (signal: NodeJS.Signals) => {
    for (const p of procs) if (p.running) p.child.kill(signal);
  };
  const exited = Promise.all(procs.map((p) => p.exited));
  // k6 is in its own process group, so nothing else stops it if this process dies first: not
  // an exit, and not a hangup (the terminal closed), which used to reach k6 directly.
  const killOnExit = () => killAll("SIGKILL");
  process.on("exit", killOnExit);
  const onHangup = () => {
    killAll("SIGKILL");
    process.exit(128 + osConstants.signals.SIGHUP);
  };
  process.on("SIGHUP", onHangup);

  let k6Done = false;
  let signals = 0;
  let signalsAfterK6 = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (k6Done) {
      // k6 has ended: the samples are all on disk, so the report is worth finishing unless asked twice.
      signalsAfterK6++;
      if (signalsAfterK6 === 1) opts.log(`\n${signal}: k6 has ended; writing the report (again to abort it)`);
      else process.exit(128 + (osConstants.signals[signal] ?? 0));
      return;
    }
    signals++;
    if (signals === 1) {
      run.interrupted = true;
      run.signal = signal;
      opts.log(`\n${signal}: stopping k6 gracefully (send it again to kill k6)...`);
      killAll(signal);
    } else {
      run.k6.killedBy ??= "second-signal";
      opts.log(`\n${signal} again: killing k6`);
      killAll("SIGKILL");
    }
    // On record at once: if this process is killed next (CI escalates to SIGKILL), run.json still says so.
    void saveRun().catch(() => {});
  };
  for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
  const hardStop = setTimeout(
    () => {
      opts.log(`k6 overran the plan by ${K6_OVERRUN_S} s: killing it`);
      run.k6.killedBy ??= "overrun";
      killAll("SIGKILL");
    },
    (plan.durationS + K6_OVERRUN_S) * 1000,
  );

  const timelinePath = join(runDir, "timeline.jsonl");
  const generatorPath = join(runDir, "generator.jsonl");
  let lastTimelineS = 0;
  const pullTimeline = async (): Promise<TimelinePoint[]> => {
    if (exchange.control === undefined) return [];
    const { text, identity } = await exchange.control.timeline(lastTimelineS);
    exchange.keeper?.observe(identity);
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
  k6Done = true;
  process.off("exit", killOnExit);
  process.off("SIGHUP", onHangup);
  // The run's k6 exit code: the first failing generator's, else 0.
  const k6Exit = exitCodes.find((c) => c !== 0) ?? 0;
  clearTimeout(hardStop);
  await sampler;
  progress.done();
  // Let the exchange close the second in flight so the timeline covers the whole run.
  await new Promise((r) => setTimeout(r, 1100));
  await pullTimeline().catch(() => []);
  await exchange.keeper?.stop();
  await exchange.close();
  await Promise.all(procs.map((p) => new Promise<void>((r) => p.log.end(() => r()))));

  run.venueResetDetected = exchange.keeper?.resetDetected ?? false;
  run.k6.exitCode = k6Exit;
  generatorRecords.forEach((g, i) => {
    g.exitCode = exitCodes[i] ?? null;
    g.cpuSeconds = round2(g.cpuSeconds);
  });
  run.endedAt = new Date().toISOString();
  (run.k6 as Record<string, unknown>).cpuSeconds = Math.round(k6CpuSeconds * 100) / 100;
  (run.k6 as Record<string, unknown>).rssMbMax = k6RssMbMax;
  await saveRun();

  // A signal during the report is answered by onSignal (finish, or exit on a second one).
  const summary = await renderRun(runDir)
    .catch((err: unknown) => {
      throw err instanceof StampedeError
        ? err
        : new StampedeError(
            "E_REPORT_FAILED",
            `report of ${runDir} failed: ${err instanceof Error ? err.message : String(err)}`,
          );
    })
    .finally(() => {
      for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
    });
  // Relative when inside the working directory (runs/<id>/), absolute otherwise.
  const fromCwd = relative(process.cwd(), runDir);
  const rel = fromCwd === "" || fromCwd.startsWith("..") ? runDir : fromCwd;
  let exitCode: number = k6Exit === 0 || run.interrupted ? EXIT.ok : EXIT.harness;
  if (exitCode !== EXIT.ok) {
    const failed = generatorRecords.find((g) => g.exitCode !== 0) ?? generatorRecords[0];
    opts.log(`k6 exited with code ${k6Exit}; see ${join(rel, failed?.log ?? "k6.log")}`);
  }
  // A venue that answered the drill's own traffic with redirects (k6 followed none of them).
  const redirect = await redirectInK6Logs(generatorRecords.map((g) => join(runDir, g.log)));
  if (redirect !== undefined) {
    const err = new StampedeError(
      "E_TARGET_REDIRECT",
      `the target answered k6's ${redirect.request} with ${redirect.status} redirecting to ${redirect.location}; no redirect was followed and those requests count as errors: give --target the venue's own URL`,
    );
    opts.log(`stampede: ${err.message} [${err.code}]`);
    exitCode = err.exitCode;
  }
  if (run.venueResetDetected)
    opts.log("warning: the venue was reset by someone else during the drill (run.json venueResetDetected)");
  for (const w of summary.generator.warnings) opts.log(`warning: ${w}`);
  if (summary.complete === false)
    opts.log(`incomplete run: ${summary.incompleteReason ?? "no reason given"}`);
  const pct = (rate: number | undefined) => `${((rate ?? 0) * 100).toFixed(1)}%`;
  opts.log(
    `done: ${summary.requests} requests, served p99 ${summary.served?.latencyMs.p99 ?? "-"} ms, refused by policy ${pct(summary.rejected.policy?.rate)}, for capacity ${pct(summary.rejected.capacity?.rate)}, ` +
      `p99 ${summary.latencyMs.p99} ms (all), stale reads ${summary.staleReads.count}/${summary.staleReads.checked}, dropped iterations ${summary.droppedIterations}`,
  );
  return { runDir: rel.endsWith("/") ? rel : `${rel}/`, summary, exitCode, interrupted: run.interrupted };
}

/**
 * A new run folder under outDir. With `controlToken` (the drill's own mock's), also its
 * `control-token` file, mode 0600 like any credential, so the user can reach the venue while the
 * drill runs. A target's token is never written: it is the operator's, already in their
 * environment, and outlives the drill, while run folders get uploaded as CI artifacts.
 */
export async function createRunFolder(
  outDir: string,
  name: string,
  controlToken: string | undefined,
): Promise<{ id: string; runDir: string }> {
  const out = resolve(outDir);
  await mkdir(out, { recursive: true });
  const id = runId(name, out);
  const runDir = join(out, id);
  await mkdir(runDir);
  if (controlToken !== undefined)
    await writeFile(join(runDir, CONTROL_TOKEN_FILE), `${controlToken}\n`, { mode: 0o600 });
  return { id, runDir };
}

/** The run folder's copy of the drill's own mock's control token. */
export const CONTROL_TOKEN_FILE = "control-token";

/** What a drill loads: the mock exchange started here, or an external target. */
interface Exchange {
  url: string;
  /** The exchange's configuration when known (ours, or the target's control plane's). */
  config: unknown;
  /** The venue's control plane, when it has one. */
  control: ControlPlane | undefined;
  /** Holds the drill's lease on the venue and watches for a reset it did not make. */
  keeper: LeaseKeeper | undefined;
  /** The control token k6 reads the accounts with. */
  token: string | undefined;
  /** Write the token to the run folder (the drill's own mock only). */
  tokenFile: boolean;
  keys: Array<{ apiKey: string; apiSecret: string }>;
  close(): Promise<void>;
}

/** The mock exchange in this process, with a fresh random token; the drill leases it like any venue. */
async function startOwnExchange(config: ExchangeConfig, log: (line: string) => void): Promise<Exchange> {
  const mock = await startMockExchange({ config }).catch((err: Error) => {
    throw new StampedeError("E_EXCHANGE_FAILED", `mock exchange did not start: ${err.message}`);
  });
  try {
    const control = new ControlPlane(mock.url, mock.controlToken);
    const lease = await control.takeLease();
    return {
      url: mock.url,
      config,
      control,
      keeper: new LeaseKeeper(control, lease, lease.ttlMs, log),
      token: mock.controlToken,
      tokenFile: true,
      keys: [],
      close: () => mock.close(),
    };
  } catch (err) {
    await mock.close();
    throw err;
  }
}

/**
 * An external target. Its dialect is probed first (GET /fapi/v1/ping, no redirect followed), so
 * a venue that sends its traffic elsewhere is refused before k6 starts. When its control plane
 * answers (a `stampede serve` elsewhere, token from STAMPEDE_CONTROL_TOKEN), the drill leases
 * it, resets it with the drill's strategy and faults and reads accounts and the timeline from
 * it; otherwise keys come from the environment and everything the venue does not offer is skipped.
 */
async function openTarget(
  baseUrl: string,
  profile: Profile,
  strategy: string,
  timeScale: number,
  log: (line: string) => void,
): Promise<Exchange> {
  await probeDialect(baseUrl);
  const token = process.env.STAMPEDE_CONTROL_TOKEN?.trim() || undefined;
  const control = new ControlPlane(baseUrl, token);
  const probe = await control.probe();
  if (probe.kind === "present") {
    const served = probe.config as ExchangeConfig;
    const lease = await control.takeLease();
    let identity: VenueIdentity;
    try {
      identity = await control.reset({
        strategy,
        faults: profile.faults ?? [],
        marketEvents: profile.marketEvents ?? [],
      });
    } catch (err) {
      await control.releaseLease().catch(() => false);
      throw err;
    }
    if (served.timeScale !== timeScale)
      log(
        `warning: the target runs at time scale ${served.timeScale}, the drill at ${timeScale}: its limit windows and lags are compressed differently`,
      );
    log(
      `target ${baseUrl}: control plane answers (strategy ${strategy}); leased, timeline and accounts come from it`,
    );
    return {
      url: baseUrl,
      config: served,
      control,
      keeper: new LeaseKeeper(control, identity, lease.ttlMs, log),
      token,
      tokenFile: false,
      keys: [],
      close: async () => {},
    };
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
  return {
    url: baseUrl,
    config: null,
    control: undefined,
    keeper: undefined,
    token: undefined,
    tokenFile: false,
    keys,
    close: async () => {},
  };
}

/** What loadtests/drill.ts logs when a response of the drill's own traffic is a redirect. */
const REDIRECT_MARK = /stampede-redirect (\d{3}) ([A-Z]+ \S+) -> ([^\s"\\]+)/;

/** The first redirect k6 logged in any generator's log, or undefined. */
async function redirectInK6Logs(
  logs: string[],
): Promise<{ status: number; request: string; location: string } | undefined> {
  for (const path of logs) {
    const text = await readFile(path, "utf8").catch(() => "");
    const m = REDIRECT_MARK.exec(text);
    // The Location's query (a signed request's parameters) is left out of the message.
    if (m !== null)
      return {
        status: Number(m[1]),
        request: m[2] as string,
        location: (m[3] as string).split("?")[0] as string,
      };
  }
  return undefined;
}

/** k6 runs offline and writes microsecond timestamps (reference.md "k6"). */
const K6_ENV = {
  K6_CSV_TIME_FORMAT: "unix_micro",
  // The script says maxRedirects: 0 too; the variable outranks the script's options, so a
  // K6_MAX_REDIRECTS in the caller's environment is overridden here rather than obeyed.
  K6_MAX_REDIRECTS: "0",
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
