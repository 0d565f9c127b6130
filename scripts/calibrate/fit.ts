import { mmcMeanWaitMs } from "../../mock-exchange/capacity/erlang.ts";
import type { CalibratedClass } from "../../mock-exchange/venueFile.ts";
import type { StepResult } from "./pacer.ts";

/**
 * From measured steps to the capacity model's parameters (mock-exchange/capacity/): the service
 * time is what one request takes with nothing queued (the sequential step), and the workers follow
 * from the knee by Little's law at saturation: a tier whose c workers are all busy serves c / S
 * requests per second, so c = served throughput x S.
 */

export interface StepFigures {
  offeredRps: number;
  servedRps: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  minMs: number;
  served: number;
  refused: number;
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

/** Served (2xx) latencies and the rest of a step. */
export function stepFigures(step: StepResult): StepFigures {
  const served = step.samples.filter((s) => s.status >= 200 && s.status < 300);
  const ok = served.map((s) => s.latencyMs).sort((a, b) => a - b);
  // Throughput counts answers within the step: the queue left at its end is served after it, and
  // counting it would add a queue's worth of requests to what the workers did in the step.
  const endMs = step.durationS * 1000;
  const servedInStep = served.filter((s) => s.doneMs <= endMs).length;
  const sum = ok.reduce((a, b) => a + b, 0);
  return {
    offeredRps: step.offeredRps,
    servedRps: servedInStep / step.durationS,
    meanMs: ok.length === 0 ? Number.NaN : sum / ok.length,
    p50Ms: percentile(ok, 0.5),
    p99Ms: percentile(ok, 0.99),
    minMs: ok[0] ?? Number.NaN,
    served: ok.length,
    refused: step.samples.length - ok.length + step.failed + step.dropped,
  };
}

/**
 * Latency has turned: the venue no longer serves what it is offered (a tenth refused or dropped,
 * or served throughput a tenth short), or the median has tripled from the unloaded service time.
 */
export function hasTurned(f: StepFigures, serviceMs: number): boolean {
  const offered = f.offeredRps * (f.served + f.refused > 0 ? 1 : 0);
  return f.refused > 0.1 * (f.served + f.refused) || f.servedRps < 0.9 * offered || f.p50Ms > 3 * serviceMs;
}

/** The open-model rates to try: from a quarter of one worker's rate, x1.5 a step, up to the cap. */
export function rampRates(serviceMs: number, maxRps: number): number[] {
  const rates: number[] = [];
  for (let r = Math.max(1, 250 / serviceMs); r < maxRps && rates.length < 30; r *= 1.5)
    rates.push(Math.round(r));
  rates.push(maxRps);
  return rates;
}

export interface FitInput {
  lowLoad: StepFigures;
  ramp: StepFigures[];
  /** Whether the last ramp step had turned (else the cap came first). */
  turned: boolean;
  /** Instances the workers are split into (operator-given or the defaults'). */
  instances: number;
  /** The round trip outside the venue's work, ms: in every measured latency, not in the service time. */
  overheadMs: number;
}

/** The fitted class: service time from the low-load step, workers from the knee, and how well M/M/c predicts each step below it. */
export function fitClass(input: FitInput): CalibratedClass {
  const { lowLoad, ramp, turned, instances, overheadMs } = input;
  const serviceMs = lowLoad.meanMs;
  const kneeRps = turned ? Math.max(...ramp.map((s) => s.servedRps)) : null;
  const workers = kneeRps === null ? null : (kneeRps * serviceMs) / 1000;
  const concurrency = workers === null ? null : Math.max(1, Math.round(workers / instances));
  let relativeError: number | null = null;
  if (workers !== null) {
    const c = Math.max(1, Math.round(workers));
    const below = ramp.filter((s) => !hasTurned(s, serviceMs) && s.servedRps < 0.9 * (kneeRps ?? 0));
    if (below.length >= 2) {
      const errors = below.map(
        (s) =>
          Math.abs(overheadMs + serviceMs + mmcMeanWaitMs(c, s.servedRps, 1000 / serviceMs) - s.meanMs) /
          s.meanMs,
      );
      relativeError = round(errors.reduce((a, b) => a + b, 0) / errors.length, 4);
    }
  }
  return {
    lowLoadRequests: lowLoad.served,
    meanServiceTimeMs: round(serviceMs, 3),
    serviceTimeP50Ms: round(lowLoad.p50Ms, 3),
    serviceTimeP99Ms: round(lowLoad.p99Ms, 3),
    minServiceTimeMs: round(lowLoad.minMs, 3),
    kneeRps: kneeRps === null ? null : round(kneeRps, 1),
    workers: workers === null ? null : round(workers, 2),
    instances: workers === null ? null : instances,
    concurrencyPerInstance: concurrency,
    relativeError,
    steps: ramp.map((s) => ({
      offeredRps: round(s.offeredRps, 1),
      servedRps: round(s.servedRps, 1),
      meanMs: round(s.meanMs, 3),
      p99Ms: round(s.p99Ms, 3),
      refused: s.refused,
    })),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
