/**
 * When k6's ramping-arrival-rate executor starts each iteration, so a k6 script can measure how
 * late it started (lateness = actual start - scheduled start). Pure and free of k6 imports.
 *
 * k6 v1.8.1 (lib/executor/ramping_arrival_rate.go `cal`) starts event i (1-based) of a scenario
 * when the integral of the rate from the scenario's start reaches i: within a stage ramping
 * linearly from rate f to rate t over d, at x = (f*d - sqrt(d*(f^2*d + 2*(i-done)*(t-f)))) / (f-t)
 * after the stage's start (done: the events of the earlier stages), or (i-done)/t when f = t.
 * `exec.scenario.iterationInTest` is i - 1: k6 numbers the iterations of the whole test with the
 * same striped index it schedules them by, so under `--execution-segment` (drill --generators,
 * k6-operator runners) each process's iterations keep their global numbers and the global
 * schedule applies unchanged.
 *
 * k6 takes the next number when an iteration starts, and a dropped iteration (no free VU) takes
 * none: after d drops in a scenario its later iterations are numbered d lower than the slot they
 * run in, and their lateness reads higher by those d slots. Drops are reported on their own
 * (dropped_iterations) and always warn, so lateness is exact for a run without drops.
 */

/** VU metadata carrying the iteration's lateness in ms (the k6 output extension reads it). */
export const LATENESS_METADATA = "stampede_late_ms";

/** A k6 duration as the plan writes them ("1500ms", "0s", "2m"), in ms. */
export function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (m === null) throw new Error(`not a k6 duration: "${text}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
  return Number(m[1]) * unit;
}

/** Scheduled start times of one ramping-arrival-rate scenario, precomputed per stage. */
export class ArrivalSchedule {
  // Per stage: start (ms after the scenario's start), length (ms), rates (iterations/ms) at
  // its start and end, iterations scheduled before it and by its end.
  private readonly startMs: Float64Array;
  private readonly lengthMs: Float64Array;
  private readonly fromRate: Float64Array;
  private readonly toRate: Float64Array;
  private readonly doneBefore: Float64Array;
  private readonly doneBy: Float64Array;
  /** Stage of the last lookup: iterations mostly come in order, so the search starts there. */
  private cursor = 0;

  constructor(startRatePerMin: number, stages: ReadonlyArray<{ target: number; duration: string }>) {
    const n = stages.length;
    this.startMs = new Float64Array(n);
    this.lengthMs = new Float64Array(n);
    this.fromRate = new Float64Array(n);
    this.toRate = new Float64Array(n);
    this.doneBefore = new Float64Array(n);
    this.doneBy = new Float64Array(n);
    let from = startRatePerMin / 60_000;
    let at = 0;
    let done = 0;
    stages.forEach((stage, i) => {
      const to = stage.target / 60_000;
      const d = durationMs(stage.duration);
      this.startMs[i] = at;
      this.lengthMs[i] = d;
      this.fromRate[i] = from;
      this.toRate[i] = to;
      this.doneBefore[i] = done;
      done += from !== to ? d * ((to - from) / 2 + from) : d * to;
      this.doneBy[i] = done;
      at += d;
      from = to;
    });
  }

  /** Iterations the whole scenario schedules (k6 starts event i while i <= this). */
  get total(): number {
    return this.doneBy.length > 0 ? (this.doneBy[this.doneBy.length - 1] as number) : 0;
  }

  /**
   * ms after the scenario's start at which the iteration numbered `iterationInTest` (0-based)
   * is scheduled; NaN when the scenario schedules no such iteration.
   */
  offsetMs(iterationInTest: number): number {
    const i = iterationInTest + 1;
    const stages = this.doneBy.length;
    let s = this.cursor;
    if (s >= stages || (this.doneBefore[s] as number) >= i) s = 0;
    while (s < stages && (this.doneBy[s] as number) < i) s++;
    if (s >= stages) return Number.NaN;
    this.cursor = s;
    const from = this.fromRate[s] as number;
    const to = this.toRate[s] as number;
    const d = this.lengthMs[s] as number;
    const sinceStage = i - (this.doneBefore[s] as number);
    const x =
      from !== to
        ? (from * d - Math.sqrt(Math.max(0, d * (from * from * d + 2 * sinceStage * (to - from))))) /
          (from - to)
        : sinceStage / to;
    return (this.startMs[s] as number) + x;
  }
}
