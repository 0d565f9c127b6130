import type { WallPhase } from "../loadtests/vocabulary/runFolder.ts";
import type { PhaseCoverage, TimelinePoint } from "./model.ts";

/**
 * Whether a run is what it claims to be (docs/summary.md "Completeness"): a drill stopped by a
 * signal, a k6 that failed or was killed, sample files cut mid-write or a venue reset mid-run
 * make figures that look like a whole run's but are not. Everything here is read from run.json,
 * the ingest and the timeline, so `stampede report` reaches the same verdict later.
 */

/**
 * Largest share of the requests the server answered that the client may lack when k6 was
 * killed. Only checked then: a graceful stop (the first SIGINT/SIGTERM) interrupts the
 * iterations in flight and k6 records none of their requests, which the server still answers
 * (41.7% of a 10 s smoke drill stopped early in its burst), so missing requests say nothing there.
 */
export const MISSING_SAMPLES_LIMIT = 0.02;

/** k6's exit codes (its errext/exitcodes package) a drill can meet, for the reason text. */
const K6_EXIT_MEANINGS: Readonly<Record<number, string>> = {
  97: "cloud test run failed",
  98: "cloud progress unavailable",
  // The drill passes --no-thresholds, so 99 can only mean something is wrong with the setup.
  99: "thresholds failed, although the drill runs k6 with --no-thresholds",
  100: "setup() timed out",
  101: "teardown() timed out",
  103: "engine error",
  104: "invalid configuration",
  105: "aborted from outside (a signal)",
  107: "script exception",
  108: "script aborted",
  109: "Go panic",
  110: "marked as failed",
};

/** k6's exit code when a signal stopped it: what a graceful stop on SIGINT/SIGTERM returns. */
export const K6_EXTERNAL_ABORT = 105;

export interface Completeness {
  /** run.json `interrupted`: a signal stopped the drill. */
  interrupted: boolean;
  complete: boolean;
  /** `<cause>: <detail>`, in a fixed order; empty when complete. */
  reasons: string[];
}

export interface CompletenessInput {
  run?: Record<string, unknown> | undefined;
  /** Sample files that ended mid-stream (reports/ingest.ts `truncatedFiles`). */
  truncatedFiles?: readonly string[] | undefined;
  /** Requests the client recorded (summary `requests`). */
  clientRequests: number;
  timeline?: ReadonlyArray<Partial<TimelinePoint>> | undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** One generator's exit as run.json records it (run.json `k6.generators[]`, else `k6.exitCode`). */
interface GeneratorExit {
  index: number;
  exitCode: number | null;
}

function generatorExits(k6: Record<string, unknown>): GeneratorExit[] {
  if (Array.isArray(k6.generators) && k6.generators.length > 0)
    return k6.generators.map((g, i) => {
      const rec = isRecord(g) ? g : {};
      return {
        index: typeof rec.index === "number" ? rec.index : i,
        exitCode: typeof rec.exitCode === "number" ? rec.exitCode : null,
      };
    });
  return [{ index: 0, exitCode: typeof k6.exitCode === "number" ? k6.exitCode : null }];
}

function exitText(code: number): string {
  const meaning = K6_EXIT_MEANINGS[code] ?? (code > 128 ? `killed by signal ${code - 128}` : undefined);
  return meaning === undefined ? `code ${code}` : `code ${code} (${meaning})`;
}

/** Requests the server answered (served + refused) over its whole timeline; null without counts. */
export function serverAnswered(timeline: ReadonlyArray<Partial<TimelinePoint>>): number | null {
  let total = 0;
  let seen = false;
  for (const p of timeline) {
    if (typeof p.served !== "number" || !Number.isFinite(p.served)) continue;
    seen = true;
    total += p.served;
    for (const n of Object.values(p.rejected ?? {})) total += n ?? 0;
  }
  return seen ? total : null;
}

/** The signal that stopped the drill, as a cause; undefined when none did. */
function signalCause(run: Record<string, unknown>, killedBy: unknown): string | undefined {
  if (run.interrupted !== true) return undefined;
  // Drills before `signal` was recorded stopped on SIGINT only.
  const signal = typeof run.signal === "string" ? run.signal : "SIGINT";
  return killedBy === "second-signal"
    ? `signal: ${signal}, then a second signal: k6 was killed without flushing its samples`
    : `signal: ${signal}: k6 was stopped early`;
}

/**
 * k6's exits as causes (codes the signal or a kill explain are not repeated), the hard stop and
 * an end never recorded; `killed` when k6 died of a signal, ours (a second signal, the hard stop)
 * or another's (exit 128 + n: the OOM killer...).
 */
function k6Causes(
  run: Record<string, unknown>,
  k6: Record<string, unknown>,
  interrupted: boolean,
): { reasons: string[]; killed: boolean } {
  const killedBy = k6.killedBy;
  const reasons: string[] = [];
  let killed = typeof killedBy === "string";
  const exits = generatorExits(k6);
  for (const g of exits) {
    if (g.exitCode === null || g.exitCode === 0) continue;
    if (g.exitCode > 128) killed = true;
    if (interrupted && g.exitCode === K6_EXTERNAL_ABORT) continue;
    if (typeof killedBy === "string" && g.exitCode > 128) continue;
    reasons.push(`k6 exit: ${exits.length > 1 ? `generator ${g.index} ` : ""}${exitText(g.exitCode)}`);
  }
  if (killedBy === "overrun") reasons.push("hard stop: k6 overran the plan and was killed");
  if (run.endedAt === null) reasons.push("k6 exit: not recorded (the drill ended before k6 did)");
  return { reasons, killed };
}

/** The cross-check after a kill: the client's request count against the server's. */
function missingSamplesCause(input: CompletenessInput): string | undefined {
  const server = serverAnswered(input.timeline ?? []);
  if (server === null || server <= 0) return undefined;
  const missing = (server - input.clientRequests) / server;
  if (missing <= MISSING_SAMPLES_LIMIT) return undefined;
  return `truncated samples: the client recorded ${input.clientRequests} of the ${server} requests the server answered (${(missing * 100).toFixed(1)}% missing)`;
}

/**
 * The verdict and its causes, in this order: the signal, k6's exit, the hard stop, k6's end not
 * recorded, a venue reset, each truncated file, and, when k6 was killed, the cross-check of the
 * client's count against the server's.
 */
export function completenessOf(input: CompletenessInput): Completeness {
  const run = input.run ?? {};
  const interrupted = run.interrupted === true;
  const k6 = isRecord(run.k6) ? run.k6 : undefined;
  const reasons: string[] = [];
  const signal = signalCause(run, k6?.killedBy);
  if (signal !== undefined) reasons.push(signal);
  let k6Killed = typeof k6?.killedBy === "string";
  if (k6 !== undefined && run.simulated !== true) {
    const exits = k6Causes(run, k6, interrupted);
    reasons.push(...exits.reasons);
    k6Killed = exits.killed;
  }
  if (run.venueResetDetected === true)
    reasons.push(
      "venue reset: the venue was reset or restarted during the drill (run.json venueResetDetected)",
    );
  for (const file of input.truncatedFiles ?? []) reasons.push(`truncated samples: ${file}`);
  const missing = k6Killed ? missingSamplesCause(input) : undefined;
  if (missing !== undefined) reasons.push(missing);
  return { interrupted, complete: reasons.length === 0, reasons };
}

/**
 * Coverage of each phase by the client data, which ends at `dataEndS` (the last second with data
 * + 1): `none` when the data ends by the phase's start (the run never reached it), `partial` when
 * it ends inside the phase, `full` otherwise. A complete run covers every phase fully, whatever
 * its last seconds held.
 */
export function phaseCoverage(
  phases: readonly WallPhase[],
  dataEndS: number,
  complete: boolean,
): PhaseCoverage[] {
  return phases.map((p) =>
    complete || p.endS <= dataEndS ? "full" : p.startS < dataEndS ? "partial" : "none",
  );
}
