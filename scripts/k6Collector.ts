/**
 * Whether a drill's k6 collects garbage as Go paces it, or not at all within a memory limit.
 * Pure: the caller measures the machine.
 *
 * Why: a Go collection marks k6's whole live heap, and a VU's heap is mostly its JavaScript
 * runtime, so the heap grows with the VUs a plan needs (about 0.26 MB each). At `smoke
 * --rate-scale 2` (2,126 VUs, 560 MB live) every collection took about 1.3 CPU-seconds within
 * 1.1 s, every 6 s of the burst, on cores that k6 and the mock exchange already kept 80% busy:
 * iterations started up to 0.8 s late in those seconds (lateness p99 652 ms, 39 dropped). The
 * same drill with GOGC=off started them with a p99 of 2 ms, k6 peaking at 1.0 core instead of
 * 1.6, at 3.4 GB RSS instead of 1.2 (docs/facts.md "k6"). So memory buys the schedule when the
 * cores have no room for a collection, and only then: the default drill keeps the collector and
 * its RSS under 800 MB.
 */

/** k6's CPU per request of the drill's mix without collections (smoke at 4,000 requests/s: 1.0 core). */
export const K6_CPU_US_PER_REQUEST = 250;

/** The mock exchange's CPU per request in a drill (`npm run bench` drill_exchange_us_per_request: 130). */
export const MOCK_EXCHANGE_CPU_US_PER_REQUEST = 130;

/**
 * The share of the machine's cores the drill's predicted load may take with Go's collector on.
 * Measured on 2 cores with the collector on: `smoke` at a predicted share of 0.44 (rate scale 1)
 * kept lateness p99 at 4-9 ms in three runs, 0.66 (1.5) gave 22 ms and 0.87 (2) 652 ms;
 * `liquidation-cascade-2025-10-10` at 0.46 gave 11 ms, over the 10 ms the report warns at.
 */
export const COLLECTOR_MAX_CORE_SHARE = 0.45;

/** The share of the machine's available memory k6 processes may take when they do not collect. */
export const K6_MEMORY_SHARE_OF_AVAILABLE = 0.5;

/** What the drill predicts it will ask of the machine at its peak. */
export interface DrillLoad {
  /** Requests per second at the peak, all generators together (mean requests per iteration). */
  peakRequestsPerS: number;
  /** The venue runs on this machine (the mock, or a loopback --target) and shares its cores. */
  venueOnMachine: boolean;
  cores: number;
  /** The machine's available memory at the start, bytes (os.freemem()). */
  availableMemoryBytes: number;
  /** k6 processes on this machine (`--generators`). */
  generators: number;
}

/** How k6 collects garbage in a drill, as run.json records it. */
export interface K6Collector {
  /** paced: Go's default; off: GOGC=off under GOMEMLIMIT; caller: GOGC or GOMEMLIMIT was set by the caller. */
  mode: "paced" | "off" | "caller";
  /** The peak load's predicted share of the cores, collections left out. */
  predictedCoreShare: number;
  /** Each k6 process's memory limit when mode is off, MiB. */
  memoryLimitMiB: number | null;
  /** What goes into each k6 process's environment. */
  env: Record<string, string>;
}

export function predictedCoreShare(load: DrillLoad): number {
  const usPerRequest = K6_CPU_US_PER_REQUEST + (load.venueOnMachine ? MOCK_EXCHANGE_CPU_US_PER_REQUEST : 0);
  return (load.peakRequestsPerS * usPerRequest) / 1e6 / Math.max(load.cores, 1e-9);
}

/** The collector for a drill's k6 processes; the caller's GOGC or GOMEMLIMIT outranks it. */
export function k6Collector(
  load: DrillLoad,
  inherited: { GOGC?: string | undefined; GOMEMLIMIT?: string | undefined },
): K6Collector {
  const share = Math.round(predictedCoreShare(load) * 1000) / 1000;
  // Empty is unset, as Go reads it. The caller's values go into env too, so run.json holds them.
  const callers = Object.fromEntries(
    Object.entries({ GOGC: inherited.GOGC, GOMEMLIMIT: inherited.GOMEMLIMIT }).filter(
      (e): e is [string, string] => (e[1] ?? "") !== "",
    ),
  );
  if (Object.keys(callers).length > 0)
    return { mode: "caller", predictedCoreShare: share, memoryLimitMiB: null, env: callers };
  if (share <= COLLECTOR_MAX_CORE_SHARE)
    return { mode: "paced", predictedCoreShare: share, memoryLimitMiB: null, env: {} };
  const perProcessBytes =
    (load.availableMemoryBytes * K6_MEMORY_SHARE_OF_AVAILABLE) / Math.max(load.generators, 1);
  const memoryLimitMiB = Math.max(1, Math.floor(perProcessBytes / 2 ** 20));
  // Not a hard cap: as the heap nears the limit Go collects again, and the lateness it causes
  // is measured and warned about like any other.
  return {
    mode: "off",
    predictedCoreShare: share,
    memoryLimitMiB,
    env: { GOGC: "off", GOMEMLIMIT: `${memoryLimitMiB}MiB` },
  };
}
