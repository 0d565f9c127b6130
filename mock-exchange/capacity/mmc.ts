import * as hdr from "hdr-histogram-js";
import { exponential, seededRandom } from "../../loadtests/vocabulary/random.ts";
import { WorkerPool } from "./workerPool.ts";

/**
 * Per-request M/M/c simulation on the real WorkerPool: Poisson arrivals, exponential service
 * (serviceTimeMinMs 0), unbounded queue, no timeout. Used to check the pool against Erlang C
 * (erlang.ts) and as the reference for the fluid queue. The queue starts empty and nothing is
 * discarded as warm-up: the start-up bias is about (relaxation time / run length), negligible
 * for runs of a million arrivals or more.
 */

export interface MmcSimulation {
  servers: number;
  arrivalRatePerS: number;
  serviceRatePerS: number;
  durationS: number;
  seed: number;
}

export interface MmcResult {
  /** Exact mean of the waits (running sum), ms. */
  meanWaitMs: number;
  /** From an HDR histogram of waits in ns, 3 significant digits, ms. */
  p50WaitMs: number;
  p99WaitMs: number;
  arrivals: number;
}

export function simulateMmc(sim: MmcSimulation): MmcResult {
  const random = seededRandom(sim.seed);
  const serviceMs = 1000 / sim.serviceRatePerS;
  const perClass = { order: serviceMs, position: serviceMs, depth: serviceMs, other: serviceMs };
  const pool = new WorkerPool({
    workers: sim.servers,
    serviceTimeMs: perClass,
    serviceTimeMinMs: { order: 0, position: 0, depth: 0, other: 0 },
    queueTimeoutMs: Number.POSITIVE_INFINITY,
    maxQueue: Number.POSITIVE_INFINITY,
    random,
    originMs: 0,
  });
  // Waits in ns (finer than µs), up to 1 h. WebAssembly records ~4x faster than the JS histogram
  // (here ~30 vs ~125 ns a value), which matters at tens of millions of arrivals; build() falls
  // back to JS where WebAssembly is missing.
  hdr.initWebAssemblySync();
  const waitsNs = hdr.build({
    useWebAssembly: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000_000,
    numberOfSignificantValueDigits: 3,
  });
  const endMs = sim.durationS * 1000;
  const meanGapMs = 1000 / sim.arrivalRatePerS;
  let sumWaitMs = 0;
  let arrivals = 0;
  for (let t = exponential(random, meanGapMs); t < endMs; t += exponential(random, meanGapMs)) {
    const wait = pool.admit(t, "order").startMs - t;
    sumWaitMs += wait;
    waitsNs.recordValue(Math.round(wait * 1e6));
    arrivals++;
  }
  const result: MmcResult = {
    meanWaitMs: arrivals > 0 ? sumWaitMs / arrivals : 0,
    p50WaitMs: waitsNs.getValueAtPercentile(50) / 1e6,
    p99WaitMs: waitsNs.getValueAtPercentile(99) / 1e6,
    arrivals,
  };
  waitsNs.destroy();
  return result;
}
