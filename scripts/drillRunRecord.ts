import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { scaleRates } from "../loadtests/lib/plan.ts";
import { type GeneratorRecord, K6_ENV } from "./drillK6.ts";
import type { PreparedDrill } from "./drillPlan.ts";
import type { DrillVenue } from "./drillVenue.ts";
import type { K6Binary } from "./k6.ts";
import type { K6Collector } from "./k6Collector.ts";
import { machineCores } from "./machineCores.ts";
import { packageVersion, runId } from "./runFolder.ts";
import type { TargetOptions } from "./target.ts";
import { venueSource } from "./venue.ts";

/**
 * The drill's run folder and its run.json: what was run, with what, on which venue, and how it
 * ended. Written at the start, again on a stop signal, and at the end.
 */

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

/** What run.json is built from besides the prepared drill. */
export interface RunRecordInput {
  id: string;
  drill: PreparedDrill;
  seed: number;
  exchange: DrillVenue;
  target: TargetOptions | undefined;
  k6: K6Binary;
  outputs: Array<"stampede" | "csv">;
  generators: GeneratorRecord[];
  /** k6's GOMAXPROCS (drillK6.ts k6GoMaxProcs). */
  goMaxProcs: string;
  /** How k6 collects garbage (k6Collector.ts). */
  collector: K6Collector;
}

export type RunRecord = Awaited<ReturnType<typeof buildRunRecord>>;

/** run.json as the drill starts: the end fields (exit code, endedAt, CPU) are filled in later. */
export async function buildRunRecord(input: RunRecordInput) {
  const { drill, exchange, target } = input;
  const { profile, rateScale, timeScale, plan } = drill;
  return {
    id: input.id,
    command: `stampede ${process.argv.slice(2).join(" ")}`,
    startedAt: new Date().toISOString(),
    mode: "drill",
    seed: input.seed,
    profile,
    profileSource: drill.profileSource,
    strategy: drill.config.capacity.strategy,
    /** How the market model valued collateral; null: no market model. */
    oracle: drill.config.market?.oracle ?? null,
    /** `--venue FILE` the mock was configured from (path and sha256); null: the defaults. */
    venue: venueSource(drill.venue),
    scales: {
      timeScale,
      naturalDurationS: drill.naturalS,
      wallDurationS: plan.durationS,
      rateScale,
      normalRatePerS: scaleRates(profile, rateScale).normalRatePerS,
      peakRatePerS: Object.fromEntries(Object.entries(plan.classes).map(([c, p]) => [c, p.peakRatePerS])),
    },
    plan,
    exchange: {
      url: exchange.url,
      config: exchange.config,
      ...(drill.target === undefined
        ? {}
        : {
            target: {
              loopback: drill.target.loopback,
              controlPlane: exchange.control !== undefined,
              maxRps: target?.maxRps ?? null,
              keysFromEnv: exchange.keys.length,
            },
          }),
    },
    versions: { stampede: await packageVersion(), node: process.version, k6: input.k6.version },
    machine: machineCores(),
    k6: {
      path: input.k6.path,
      source: input.k6.source,
      args: input.generators[0]?.args ?? [],
      env: { ...K6_ENV, GOMAXPROCS: input.goMaxProcs, ...input.collector.env },
      /** Go's collector in k6: paced, or off under a memory limit when the cores have no room for it. */
      collector: {
        mode: input.collector.mode,
        predictedCoreShare: input.collector.predictedCoreShare,
        memoryLimitMiB: input.collector.memoryLimitMiB,
      },
      exitCode: null as number | null,
      /** `stampede` (k6 aggregates: latency(-<i>).hlog, client(-<i>).jsonl) and/or `csv` (raw samples). */
      outputs: input.outputs,
      /** One entry per k6 process (`--generators`): its segment, arguments, exit code and CPU. */
      generators: input.generators,
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
}

/** Writes run.json one write after the other: a signal's write must not interleave with the final one. */
export class RunJsonWriter {
  private written: Promise<void>;
  constructor(
    private readonly runDir: string,
    private readonly run: object,
  ) {
    this.written = writeRunJson(runDir, run);
  }

  /** Resolves when the run as it is now is on disk. */
  save(): Promise<void> {
    this.written = this.written.then(() => writeRunJson(this.runDir, this.run));
    return this.written;
  }

  /** The first write (the one the constructor started). */
  initial(): Promise<void> {
    return this.written;
  }
}

async function writeRunJson(runDir: string, run: object): Promise<void> {
  await writeFile(join(runDir, "run.json"), `${JSON.stringify(run, null, 2)}\n`);
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Fills in how the run ended: exit codes per generator and overall, CPU, memory, venue resets. */
export function recordEnd(
  run: RunRecord,
  exitCodes: readonly number[],
  k6Exit: number,
  k6Usage: { cpuSeconds: number; rssMbMax: number },
  venueResetDetected: boolean,
): void {
  run.venueResetDetected = venueResetDetected;
  run.k6.exitCode = k6Exit;
  run.k6.generators.forEach((g, i) => {
    g.exitCode = exitCodes[i] ?? null;
    g.cpuSeconds = round2(g.cpuSeconds);
  });
  run.endedAt = new Date().toISOString();
  (run.k6 as Record<string, unknown>).cpuSeconds = Math.round(k6Usage.cpuSeconds * 100) / 100;
  (run.k6 as Record<string, unknown>).rssMbMax = k6Usage.rssMbMax;
}
