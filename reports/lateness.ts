import type { Histogram, Ingested } from "./ingest.ts";
import type { LatencyPercentilesMs } from "./model.ts";
import { latencyHistogram } from "./sparse.ts";

/**
 * Generator lateness, from the k6 output extension's `Tag=lateness` and `Tag=corrected=<class>`
 * intervals (see reports/hlog.ts): how far behind its arrival schedule k6 started iterations,
 * and request latency measured from the scheduled start (the iteration's lateness plus the
 * request's duration, as wrk2 reports it). Runs without them (csv, simulations) have neither.
 */

/** p99 lateness above which the generator, not the venue, is taken to have limited the run. */
export const LATE_P99_WARN_MS = 10;

export interface LatenessFigures {
  /** ms behind schedule of iteration starts; null when not measured. */
  lateMs: { p50: number; p99: number; max: number } | null;
  /** Latency from the scheduled start; null when not measured. */
  correctedLatencyMs: LatencyPercentilesMs | null;
}

/** The run's lateness and corrected-latency histograms (both µs), merged with `add`; null when absent. */
export function latenessHistograms(ingested: Ingested): {
  latenessUs: Histogram | null;
  correctedUs: Histogram | null;
} {
  let latenessUs: Histogram | null = null;
  let correctedUs: Histogram | null = null;
  for (const sec of ingested.seconds.values()) {
    if (sec.latenessUs != null && sec.latenessUs.totalCount > 0) {
      latenessUs ??= latencyHistogram();
      sec.latenessUs.addInto(latenessUs);
    }
    if (sec.correctedUs != null && sec.correctedUs.totalCount > 0) {
      correctedUs ??= latencyHistogram();
      sec.correctedUs.addInto(correctedUs);
    }
  }
  return { latenessUs, correctedUs };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export function latenessFigures(
  ingested: Ingested,
  percentilesMs: (h: Histogram) => LatencyPercentilesMs,
): LatenessFigures {
  const { latenessUs, correctedUs } = latenessHistograms(ingested);
  const ms = (h: Histogram, p: number) => round3(h.getValueAtPercentile(p) / 1000);
  return {
    lateMs:
      latenessUs === null
        ? null
        : { p50: ms(latenessUs, 50), p99: ms(latenessUs, 99), max: ms(latenessUs, 100) },
    correctedLatencyMs: correctedUs === null ? null : percentilesMs(correctedUs),
  };
}

/** The warning of a run whose iterations started late, with the CPU figures as evidence; none when on time. */
export function latenessWarning(
  lateMs: LatenessFigures["lateMs"],
  cpu: { k6CpuCoresMax: number; machineMax: number; machineCores: number },
): string | undefined {
  if (lateMs === null || !(lateMs.p99 > LATE_P99_WARN_MS)) return undefined;
  return (
    `k6 started iterations late: p99 ${lateMs.p99} ms (max ${lateMs.max} ms) behind the arrival schedule (limit ${LATE_P99_WARN_MS} ms), so offered load lagged the profile and latencies from the send understate those from the schedule (see correctedLatencyMs). ` +
    `Evidence: k6 used up to ${cpu.k6CpuCoresMax.toFixed(2)} cores, k6 + exchange up to ${cpu.machineMax.toFixed(2)} of ${cpu.machineCores}.`
  );
}
