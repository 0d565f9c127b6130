import { type ChildProcessByStdio, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { constants as osConstants } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import type { GeneratorRecord } from "./drillK6.ts";

/**
 * The drill's k6 processes and how they are stopped: spawning (own process group, logs to the
 * run folder), exit codes, the stop signals (first graceful, second kills), the hangup and exit
 * of this process, and the hard stop when k6 overruns the plan.
 */

/** The signals that stop a drill: Ctrl-C, and what CI runners and `kill` send. */
const STOP_SIGNALS = ["SIGINT", "SIGTERM"] as const;

/** k6's default gracefulStop for arrival-rate executors, plus setup and slack: the hard stop. */
export const K6_OVERRUN_S = 90;

/** One running k6 process. */
export interface K6Process {
  g: GeneratorRecord;
  child: ChildProcessByStdio<null, Readable, Readable>;
  log: WriteStream;
  /** Its exit code (128 + signal number when killed by one, 127 when it did not start). */
  exited: Promise<number>;
  /** CPU ticks at the last sample (drillSampler.ts). */
  ticks: number;
  /** When they were read, performance.now() ms. */
  readAtMs: number;
  running: boolean;
}

/** Starts one k6 per generator record, its output to the record's log in the run folder. */
export function spawnK6(
  k6Path: string,
  records: GeneratorRecord[],
  runDir: string,
  envOf: (index: number) => NodeJS.ProcessEnv,
): K6Process[] {
  return records.map((g) => {
    const log = createWriteStream(join(runDir, g.log));
    const child = spawn(k6Path, g.args, {
      env: envOf(g.index),
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
    const proc: K6Process = { g, child, log, exited, ticks: 0, readAtMs: 0, running: true };
    void exited.then(() => {
      proc.running = false;
    });
    return proc;
  });
}

/** Sends a signal to every k6 process still running. */
export function killAll(procs: readonly K6Process[], signal: NodeJS.Signals): void {
  for (const p of procs) if (p.running) p.child.kill(signal);
}

/** Waits until every k6 log is flushed and closed. */
export async function closeLogs(procs: readonly K6Process[]): Promise<void> {
  await Promise.all(procs.map((p) => new Promise<void>((r) => p.log.end(() => r()))));
}

/** The run.json fields a stop signal or the hard stop sets. */
export interface StopRecord {
  interrupted: boolean;
  signal: NodeJS.Signals | null;
  k6: { killedBy: "second-signal" | "overrun" | null };
}

/** The guard's two later steps: when k6 has ended, and when the report is written. */
export interface StopGuard {
  /** k6 has exited: drop the hard stop and the exit/hangup kills; signals now concern the report. */
  k6Ended(): void;
  /** The report is done (or failed): stop answering the stop signals. */
  release(): void;
}

/**
 * Installs the drill's stop handling while k6 runs. A first SIGINT/SIGTERM stops k6 gracefully
 * and marks the run interrupted, a second kills k6; after k6 has ended the report is worth
 * finishing unless asked twice. `saveRun` puts a signal on record at once.
 */
export function guardK6(
  procs: readonly K6Process[],
  run: StopRecord,
  saveRun: () => Promise<void>,
  log: (line: string) => void,
  hardStopAfterS: number,
): StopGuard {
  // k6 is in its own process group, so nothing else stops it if this process dies first: not
  // an exit, and not a hangup (the terminal closed), which used to reach k6 directly.
  const killOnExit = () => killAll(procs, "SIGKILL");
  process.on("exit", killOnExit);
  const onHangup = () => {
    killAll(procs, "SIGKILL");
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
      if (signalsAfterK6 === 1) log(`\n${signal}: k6 has ended; writing the report (again to abort it)`);
      else process.exit(128 + (osConstants.signals[signal] ?? 0));
      return;
    }
    signals++;
    if (signals === 1) {
      run.interrupted = true;
      run.signal = signal;
      log(`\n${signal}: stopping k6 gracefully (send it again to kill k6)...`);
      killAll(procs, signal);
    } else {
      run.k6.killedBy ??= "second-signal";
      log(`\n${signal} again: killing k6`);
      killAll(procs, "SIGKILL");
    }
    // On record at once: if this process is killed next (CI escalates to SIGKILL), run.json still says so.
    void saveRun().catch(() => {});
  };
  for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
  const hardStop = setTimeout(() => {
    log(`k6 overran the plan by ${K6_OVERRUN_S} s: killing it`);
    run.k6.killedBy ??= "overrun";
    killAll(procs, "SIGKILL");
  }, hardStopAfterS * 1000);

  return {
    k6Ended() {
      k6Done = true;
      process.off("exit", killOnExit);
      process.off("SIGHUP", onHangup);
      clearTimeout(hardStop);
    },
    release() {
      for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
    },
  };
}
