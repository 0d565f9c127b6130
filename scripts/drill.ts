import { freemem } from "node:os";
import { join } from "node:path";
import { k6DrillPlan } from "../loadtests/lib/k6Plan.ts";
import type { OracleMode } from "../loadtests/vocabulary/market.ts";
import type { Summary } from "../reports/model.ts";
import { writeK6Inputs } from "./drillBundle.ts";
import { generatorRecords, K6_ENV, k6GoMaxProcs, k6Outputs } from "./drillK6.ts";
import { prepareDrill } from "./drillPlan.ts";
import { Progress, type ProgressMode } from "./drillProgress.ts";
import { drillExitCode, logDrillOutcome, renderDrillReport, shownRunDir } from "./drillReport.ts";
import { buildRunRecord, createRunFolder, RunJsonWriter, recordEnd } from "./drillRunRecord.ts";
import { sampleWhileK6Runs, TimelinePuller } from "./drillSampler.ts";
import { closeLogs, guardK6, K6_OVERRUN_S, spawnK6 } from "./drillSignals.ts";
import { closeVenue, type DrillVenue, openVenue, venueEnv } from "./drillVenue.ts";
import type { K6Binary } from "./k6.ts";
import { k6Collector } from "./k6Collector.ts";
import { type K6DrillOptions, k6Extras } from "./k6Ecosystem.ts";
import { machineCores } from "./machineCores.ts";
import type { ResolvedProfile } from "./profileSource.ts";
import type { TargetOptions } from "./target.ts";

// Importers (the CLI, compare, k8s, benchmarks, tests) keep reading these names from here.
export { type ExecutionSegment, executionSegments, K6_SYSTEM_TAGS, k6Outputs } from "./drillK6.ts";
export { CONTROL_TOKEN_FILE, createRunFolder } from "./drillRunRecord.ts";

/**
 * One drill: start the mock exchange on a free port, run k6 with the profile (open model),
 * stream the server timeline and the processes' CPU into runs/<id>/ while it runs, then call the
 * reporter on the folder. SIGINT (Ctrl-C) or SIGTERM (how CI cancels a job) stops k6 gracefully
 * and still reports what was collected, marked interrupted; a second signal kills k6.
 */
import type { LoadedVenue } from "./venue.ts";

export interface DrillOptions extends K6DrillOptions {
  /** The profile, resolved from `--profile NAME|FILE` (profileSource.ts). */
  profile: ResolvedProfile;
  timeScale?: number | undefined;
  durationS?: number | undefined;
  /** Multiplies every class's normal rate (default 1). */
  rateScale?: number | undefined;
  seed: number;
  outDir: string;
  /** Provisioning strategy of the capacity model (capacity/strategies.ts). */
  strategy: string;
  /** `--oracle`: how the market model values collateral; default the profile's (needs its `market`). */
  oracle?: OracleMode | undefined;
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
  /** `--venue FILE`, loaded and validated (venue.ts): the mock's capacity, strategies, replica and limits. */
  venue?: LoadedVenue | undefined;
  log: (line: string) => void;
  progress: ProgressMode;
}

export interface DrillResult {
  runDir: string;
  summary: Summary;
  exitCode: number;
  /** A signal stopped the drill (its report covers what was collected until then). */
  interrupted: boolean;
}

/**
 * The steps of a drill, in order: open the venue, create the run folder and run.json, start k6
 * under the stop guard, sample while it runs, close the venue, record how it ended, report.
 */
export async function runDrill(opts: DrillOptions): Promise<DrillResult> {
  const drill = prepareDrill(opts);
  const exchange = await openVenue(
    drill.target,
    drill.config,
    drill.profile,
    opts.strategy,
    drill.timeScale,
    opts.log,
  );
  const { id, runDir } = await runFolderFor(opts.outDir, drill.profile.name, exchange);
  const extras = await k6Extras(opts, runDir, drill.generators);
  const outputs = k6Outputs(opts.k6.extension, opts.rawSamples === true);
  const k6Inputs = await writeK6Inputs(runDir, k6DrillPlan(drill.plan, drill.profile, opts.seed));
  const generators = generatorRecords({
    runDir,
    generators: drill.generators,
    outputs,
    extraArgs: extras.args,
    baseUrl: exchange.url,
    scriptPath: k6Inputs.script,
    planPath: k6Inputs.plan,
  });
  const cores = machineCores().cores;
  const goMaxProcs = k6GoMaxProcs(cores, process.env.GOMAXPROCS);
  const collector = k6Collector(
    {
      peakRequestsPerS: drill.peakMeanRps,
      venueOnMachine: drill.target === undefined || drill.target.loopback,
      cores,
      availableMemoryBytes: freemem(),
      generators: drill.generators,
    },
    process.env,
  );
  const run = await buildRunRecord({
    id,
    goMaxProcs,
    collector,
    drill,
    seed: opts.seed,
    exchange,
    target: opts.target,
    k6: opts.k6,
    outputs,
    generators,
  });
  const runJson = new RunJsonWriter(runDir, run);
  await runJson.initial();
  exchange.keeper?.start();

  const { STAMPEDE_CONTROL_TOKEN: _inherited, ...inheritedEnv } = process.env;
  const k6Env = await venueEnv(exchange, drill.profile.clients);
  const procs = spawnK6(opts.k6.path, generators, runDir, (i) => ({
    ...inheritedEnv,
    ...K6_ENV,
    GOMAXPROCS: goMaxProcs,
    ...collector.env,
    ...k6Env,
    ...extras.env(i),
  }));
  const exited = Promise.all(procs.map((p) => p.exited));
  const guard = guardK6(procs, run, () => runJson.save(), opts.log, drill.plan.durationS + K6_OVERRUN_S);
  const timeline = new TimelinePuller(exchange, join(runDir, "timeline.jsonl"));
  const progress = new Progress(opts.progress, drill.plan.durationS, opts.log);
  const sampler = sampleWhileK6Runs({
    procs,
    exited,
    ownExchange: drill.target === undefined,
    generatorPath: join(runDir, "generator.jsonl"),
    timeline,
    progress,
    phases: drill.plan.phases,
  });

  const exitCodes = await exited;
  guard.k6Ended();
  // The run's k6 exit code: the first failing generator's, else 0.
  const k6Exit = exitCodes.find((c) => c !== 0) ?? 0;
  const k6Usage = await sampler;
  progress.done();
  // Let the exchange close the second in flight so the timeline covers the whole run.
  await new Promise((r) => setTimeout(r, 1100));
  await timeline.pull().catch(() => []);
  await closeVenue(exchange);
  await closeLogs(procs);
  recordEnd(run, exitCodes, k6Exit, k6Usage, exchange.keeper?.resetDetected ?? false);
  await runJson.save();

  // A signal during the report is answered by the guard (finish, or exit on a second one).
  const summary = await renderDrillReport(runDir).finally(() => guard.release());
  const exitCode = await drillExitCode(run, runDir, k6Exit, opts.log);
  logDrillOutcome(run, summary, opts.log);
  const rel = shownRunDir(runDir);
  return { runDir: rel.endsWith("/") ? rel : `${rel}/`, summary, exitCode, interrupted: run.interrupted };
}

/** The run folder, created after the venue is open; the venue is closed again when that fails. */
async function runFolderFor(
  outDir: string,
  profileName: string,
  exchange: DrillVenue,
): Promise<{ id: string; runDir: string }> {
  try {
    return await createRunFolder(outDir, profileName, exchange.tokenFile ? exchange.token : undefined);
  } catch (err) {
    await closeVenue(exchange);
    throw err;
  }
}
