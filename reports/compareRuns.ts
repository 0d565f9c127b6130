import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { StampedeError } from "../loadtests/vocabulary/cliErrors.ts";
import type { MarketSummary } from "../loadtests/vocabulary/market.ts";
import type { TimelinePoint, WallPhase } from "../loadtests/vocabulary/runFolder.ts";
import type { MarketMetricKey, RunMetrics } from "./compare.ts";
import { costUsd, parsePricePerInstanceHour } from "./cost.ts";
import { HLOG_FILE, readIngested } from "./hlog.ts";
import { type Histogram, type Ingested, ingestK6Csv } from "./ingest.ts";
import { failedStops, marketOf, marketSummary } from "./market.ts";
import type { Summary } from "./model.ts";
import { splitRejects } from "./rejectKinds.ts";
import { renderRun } from "./report.ts";
import { burstPhaseOf, preBurstPhaseOf, sumCounts, timeToRecoverS } from "./summary.ts";

/** compare's run folders: what it reads of each and the figures it takes from them (reports/compare.ts). */
export interface RunJson {
  id?: string;
  seed?: number;
  strategy?: unknown;
  /** The market model's oracle mode (loadtests/vocabulary/market.ts); null or absent: no market model. */
  oracle?: string | null;
  simulated?: boolean;
  t0Ms?: number;
  profile?: { name?: string };
  scales?: { timeScale?: number };
  plan: { phases: WallPhase[]; durationS: number };
}

/** What compare needs from one run folder. */
export interface LoadedRun {
  runId: string;
  runDir: string;
  run: RunJson;
  summary: Summary;
  ingested: Ingested;
  phases: WallPhase[];
  /** Timeline re-based to t0 (t = seconds since t0, the second [t, t+1)). */
  timeline: Array<Partial<TimelinePoint> & { t: number }>;
  metrics: RunMetrics;
  /** The burst and pre-burst phase indexes (-1 when none). */
  burst: number;
  preBurst: number;
  /** summary.json `market` (or, for a summary written before it, the same from the timeline); absent without market seconds. */
  market?: MarketSummary;
  /** Mean depth near the mid (Σ perpetuals' bids + asks, USDT) over the burst's market seconds; null without them. */
  burstDepthUsdt?: number | null;
}

async function readJsonLines<T>(path: string): Promise<T[]> {
  if (!existsSync(path)) return [];
  return (await readFile(path, "utf8"))
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as T);
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const DEFAULT_PRICES = parsePricePerInstanceHour(undefined);

/** Reads a run folder (rendering summary.json first when it is missing). */
export async function loadRun(dir: string): Promise<LoadedRun> {
  const runDir = resolve(dir);
  const runPath = join(runDir, "run.json");
  if (!existsSync(runPath))
    throw new StampedeError("E_RUN_NOT_FOUND", `${dir} is not a run folder (no run.json).`);
  const run = JSON.parse(await readFile(runPath, "utf8")) as RunJson;
  const summaryPath = join(runDir, "summary.json");
  const summary = existsSync(summaryPath)
    ? (JSON.parse(await readFile(summaryPath, "utf8")) as Summary)
    : await renderRun(runDir);
  const phases = run.plan?.phases ?? [];
  let ingested: Ingested;
  try {
    // latency.hlog + client.jsonl when present; else (an older drill) k6's raw samples.
    const csv = (await readdir(runDir))
      .filter((f) => /^k6.*\.csv(\.gz)?$/.test(f))
      .map((f) => join(runDir, f));
    ingested =
      existsSync(join(runDir, HLOG_FILE)) || csv.length === 0
        ? await readIngested(runDir, phases)
        : await ingestK6Csv(csv, phases);
  } catch (err) {
    throw new StampedeError(
      "E_REPORT_FAILED",
      `${dir}: cannot read its client data (latency.hlog / client.jsonl or k6*.csv.gz): ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const t0Ms =
    typeof run.t0Ms === "number" && Number.isFinite(run.t0Ms) ? run.t0Ms : (ingested.t0Us ?? 0) / 1000;
  const timeline = (await readJsonLines<Partial<TimelinePoint>>(join(runDir, "timeline.jsonl")))
    .filter((p) => typeof p.tsMs === "number")
    .map((p) => ({ ...p, t: Math.round(((p.tsMs as number) - 1000 - t0Ms) / 1000) }));
  return loadedRun({ runId: run.id ?? basename(runDir), runDir, run, summary, ingested, timeline });
}

/**
 * Mean of Σ over perpetuals of bid + ask depth near the mid, over the market seconds whose middle
 * lies in the phase; null when none does.
 */
export function meanDepthUsdt(
  timeline: ReadonlyArray<Partial<TimelinePoint> & { t: number }>,
  phase: WallPhase | undefined,
): number | null {
  if (phase === undefined) return null;
  let sum = 0;
  let n = 0;
  for (const p of timeline) {
    const m = marketOf(p);
    if (m === undefined || p.t + 0.5 < phase.startS || p.t + 0.5 >= phase.endS) continue;
    for (const s of Object.values(m.symbols)) sum += s.bidDepthUsdt + s.askDepthUsdt;
    n++;
  }
  return n > 0 ? round2(sum / n) : null;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** One run's market figures (MARKET_METRICS), from its market summary. */
function marketMetrics(
  m: MarketSummary,
  burstDepthUsdt: number | null,
): Record<MarketMetricKey, number | null> {
  return {
    liquidatedNotionalUsdt: m.liquidatedNotional,
    amplification: m.amplification,
    failedStops: failedStops(m),
    adlEvents: m.adl.events,
    adlNotionalUsdt: m.adl.notional,
    makerRefusedPct: m.makerRequests > 0 ? round3((100 * m.makerRequestsRefused) / m.makerRequests) : null,
    burstDepthUsdt,
  };
}

/** A LoadedRun from its parts: picks the burst and pre-burst phases and computes the run's metrics. */
export function loadedRun(
  parts: Omit<LoadedRun, "phases" | "metrics" | "burst" | "preBurst" | "market" | "burstDepthUsdt">,
): LoadedRun {
  const { run, summary, ingested } = parts;
  const phases = run.plan?.phases ?? [];
  // The same rules as summary.json's burst figures (reports/summary.ts), so the two agree.
  const burst = burstPhaseOf(phases);
  const preBurst = preBurstPhaseOf(phases, burst);
  const burstTally = burst >= 0 ? ingested.byPhase[burst] : undefined;
  const preTally = preBurst >= 0 ? ingested.byPhase[preBurst] : undefined;
  const p99 = (h: Histogram | undefined) =>
    h !== undefined && h.totalCount > 0 ? h.getValueAtPercentile(99) / 1000 : null;
  const burstPhase = phases[burst];
  const requests = ingested.overall.latencyUs.totalCount;
  const rejected = sumCounts(ingested.overall.rejected);
  const split = splitRejects(ingested.overall.rejected);
  const pctOf = (n: number) => (requests > 0 ? round3((100 * n) / requests) : null);
  const recoverS =
    burstPhase === undefined
      ? null
      : timeToRecoverS(
          [...ingested.seconds].map(([t, sec]) => ({
            t,
            latencyUs: sec.latencyUs,
            rejected: sec.rejected,
          })),
          burstPhase.endS,
          preTally !== undefined && preTally.latencyUs.totalCount > 0
            ? preTally.latencyUs.getValueAtPercentile(99)
            : null,
        );
  const scale = run.scales?.timeScale;
  const timeScale = typeof scale === "number" && scale > 0 ? scale : 1;
  const market = summary.market ?? marketSummary(parts.timeline, run as unknown as Record<string, unknown>);
  const burstDepthUsdt = market === undefined ? null : meanDepthUsdt(parts.timeline, burstPhase);
  const metrics: RunMetrics = {
    p99BurstMs: p99(burstTally?.latencyUs),
    rejectedPct: pctOf(rejected),
    capacityRejectedPct: pctOf(split.capacity),
    policyRejectedPct: pctOf(split.policy),
    businessRejectedPct: pctOf(split.business),
    stalePct: ingested.staleChecked > 0 ? round3((100 * ingested.staleReads) / ingested.staleChecked) : null,
    timeToRecoverS: recoverS,
    timeToRecoverMin: recoverS === null ? null : round3((recoverS * timeScale) / 60),
    costInstanceMinutes: summary.cost?.instanceMinutes?.total ?? null,
    costUsd:
      summary.cost?.instanceMinutes === undefined
        ? null
        : costUsd(summary.cost.instanceMinutes, DEFAULT_PRICES),
    ...(market === undefined ? {} : marketMetrics(market, burstDepthUsdt)),
  };
  return {
    ...parts,
    phases,
    metrics,
    burst,
    preBurst,
    ...(market === undefined ? {} : { market, burstDepthUsdt }),
  };
}
