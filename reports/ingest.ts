import { createReadStream } from "node:fs";
import { constants, createGunzip } from "node:zlib";
import type * as hdr from "hdr-histogram-js";
import type { WallPhase } from "../loadtests/lib/plan.ts";
import { REJECT_REASONS, type RejectReason, TRAFFIC_CLASSES, type TrafficClass } from "./model.ts";
import { latencyHistogram, SparseHistogram } from "./sparse.ts";

/**
 * Streams k6's raw samples (csv.gz, K6_CSV_TIME_FORMAT=unix_micro) into HDR histograms per
 * second, per class and per phase. Memory grows with seconds x series, not with samples.
 * Latencies are recorded in microseconds; percentiles are only ever read from histograms
 * (merged with `add`), never averaged.
 */

export type Histogram = hdr.Histogram;
export { latencyHistogram, SparseHistogram } from "./sparse.ts";

export interface Tally {
  latencyUs: Histogram;
  rejected: Partial<Record<RejectReason, number>>;
}

export type ReasonCounts = Partial<Record<RejectReason, number>>;

/**
 * One wall-clock second of client data: the unit everything else is rolled up from (with `add`
 * for histograms and sums for counts), and what latency.hlog + client.jsonl store. Its
 * histograms are sparse (see reports/sparse.ts): same buckets and percentiles as HDR ones.
 */
export interface SecondTally {
  /** Every request of the second: the classes' histograms plus the unclassified one. */
  latencyUs: SparseHistogram;
  byClass: Partial<Record<TrafficClass, SparseHistogram>>;
  /** Requests without a known class tag; null when there were none. */
  unclassifiedUs: SparseHistogram | null;
  /** Every reject of the second by reason (= rejectedByClass + rejectedUnclassified). */
  rejected: ReasonCounts;
  rejectedByClass: Partial<Record<TrafficClass, ReasonCounts>>;
  /** Rejects whose sample had no known class tag. */
  rejectedUnclassified: ReasonCounts;
  staleReads: number;
  staleChecked: number;
  /** Ages of the stale reads, ms (values < 1 recorded as 1); null when none. */
  staleAgeMs: SparseHistogram | null;
  /** Highest stale age seen, ms, unrounded; null when none. */
  staleAgeMaxMs: number | null;
  droppedIterations: number;
}

/**
 * What the reporter works on. Only `seconds` (and t0) is primary: `overall`, `byClass`,
 * `byPhase`, `staleAgeMs` and the counters are rolled up from it by `rollUp`, so data from the
 * k6 csv and data read back from latency.hlog + client.jsonl give the same summary.
 */
export interface Ingested {
  /** Unix µs of the drill's start (k6 setup() done; a simulation's t0); null if unknown. */
  t0Us: number | null;
  overall: Tally;
  byClass: Partial<Record<TrafficClass, Tally>>;
  /** Per phase, from the seconds whose middle lies in the phase (see `phaseIndex`). */
  byPhase: Tally[];
  seconds: Map<number, SecondTally>;
  staleReads: number;
  staleChecked: number;
  staleAgeMs: Histogram;
  droppedIterations: number;
  /** Rows seen per metric name in the k6 csv, for cross-checks against the raw file; empty otherwise. */
  rowsByMetric: Map<string, number>;
}

const isClass = (cls: string | undefined): cls is TrafficClass =>
  cls !== undefined && (TRAFFIC_CLASSES as readonly string[]).includes(cls);

export function newSecondTally(): SecondTally {
  return {
    latencyUs: new SparseHistogram(),
    byClass: {},
    unclassifiedUs: null,
    rejected: {},
    rejectedByClass: {},
    rejectedUnclassified: {},
    staleReads: 0,
    staleChecked: 0,
    staleAgeMs: null,
    staleAgeMaxMs: null,
    droppedIterations: 0,
  };
}

/** The tally of second t, created empty on first use. */
export function secondTally(seconds: Map<number, SecondTally>, t: number): SecondTally {
  let sec = seconds.get(t);
  if (sec === undefined) {
    sec = newSecondTally();
    seconds.set(t, sec);
  }
  return sec;
}

/** Records `count` requests of latency `us` (µs, >= 1) of a class (undefined: unclassified). */
export function recordLatency(sec: SecondTally, cls: TrafficClass | undefined, us: number, count = 1): void {
  const v = Math.max(1, Math.round(us));
  sec.latencyUs.recordValueWithCount(v, count);
  let h: SparseHistogram | null | undefined;
  if (cls === undefined) {
    h = sec.unclassifiedUs;
    if (h === null) {
      h = new SparseHistogram();
      sec.unclassifiedUs = h;
    }
  } else {
    h = sec.byClass[cls];
    if (h === undefined) {
      h = new SparseHistogram();
      sec.byClass[cls] = h;
    }
  }
  h.recordValueWithCount(v, count);
}

/** Records n rejects of a reason for a class (undefined: unclassified). */
export function recordReject(
  sec: SecondTally,
  cls: TrafficClass | undefined,
  reason: RejectReason,
  n = 1,
): void {
  bump(sec.rejected, reason, n);
  if (cls === undefined) bump(sec.rejectedUnclassified, reason, n);
  else {
    let counts = sec.rejectedByClass[cls];
    if (counts === undefined) {
      counts = {};
      sec.rejectedByClass[cls] = counts;
    }
    bump(counts, reason, n);
  }
}

/** Records one stale read's age, ms. */
export function recordStaleAge(sec: SecondTally, ageMs: number, count = 1): void {
  if (sec.staleAgeMs === null) sec.staleAgeMs = new SparseHistogram();
  sec.staleAgeMs.recordValueWithCount(Math.max(1, Math.round(ageMs)), count);
  sec.staleAgeMaxMs = Math.max(sec.staleAgeMaxMs ?? 0, ageMs);
}

/**
 * Builds an `Ingested` from per-second data: overall, per-class and per-phase tallies are
 * merged with `add` (never averaged). A second belongs to the phase that holds its middle
 * (t + 0.5), so phase figures have one-second resolution whatever the source.
 */
export function rollUp(
  t0Us: number | null,
  seconds: Map<number, SecondTally>,
  phases: readonly WallPhase[],
  rowsByMetric: Map<string, number> = new Map(),
): Ingested {
  const result: Ingested = {
    t0Us,
    overall: newTally(),
    byClass: {},
    byPhase: phases.map(() => newTally()),
    seconds,
    staleReads: 0,
    staleChecked: 0,
    staleAgeMs: latencyHistogram(),
    droppedIterations: 0,
    rowsByMetric,
  };
  const ts = [...seconds.keys()].sort((a, b) => a - b);
  for (const t of ts) {
    const sec = seconds.get(t) as SecondTally;
    const phase = phases.length > 0 ? phaseIndex(phases, t + 0.5) : -1;
    const phaseTally = phase >= 0 ? (result.byPhase[phase] as Tally) : undefined;
    if (sec.latencyUs.totalCount > 0) {
      sec.latencyUs.addInto(result.overall.latencyUs);
      if (phaseTally !== undefined) sec.latencyUs.addInto(phaseTally.latencyUs);
    }
    addCounts(result.overall.rejected, sec.rejected);
    if (phaseTally !== undefined) addCounts(phaseTally.rejected, sec.rejected);
    for (const cls of TRAFFIC_CLASSES) {
      const h = sec.byClass[cls];
      if (h !== undefined) h.addInto(classTally(result, cls).latencyUs);
      const counts = sec.rejectedByClass[cls];
      if (counts !== undefined) addCounts(classTally(result, cls).rejected, counts);
    }
    result.staleReads += sec.staleReads;
    result.staleChecked += sec.staleChecked;
    if (sec.staleAgeMs !== null) sec.staleAgeMs.addInto(result.staleAgeMs);
    result.droppedIterations += sec.droppedIterations;
  }
  return result;
}

function addCounts(into: ReasonCounts, from: ReasonCounts): void {
  for (const [reason, n] of Object.entries(from) as Array<[RejectReason, number]>)
    if (n !== undefined) bump(into, reason, n);
}

const WANTED = new Set([
  "http_req_duration",
  "stampede_rejects",
  "stampede_stale_read",
  "stampede_stale_read_age_ms",
  "dropped_iterations",
  "stampede_setup_done",
]);

function newTally(): Tally {
  return { latencyUs: latencyHistogram(), rejected: {} };
}

/** `key=value&key=value` from k6's extra_tags column. */
function tagValue(extraTags: string, key: string): string | undefined {
  for (const pair of extraTags.split("&")) {
    const eq = pair.indexOf("=");
    if (eq > 0 && pair.slice(0, eq) === key) return pair.slice(eq + 1);
  }
  return undefined;
}

/** Splits one CSV line; the quoted path only runs when a field holds a quote. */
function splitCsv(line: string): string[] {
  if (!line.includes('"')) return line.split(",");
  const out: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      out.push(field);
      field = "";
    } else field += ch;
  }
  out.push(field);
  return out;
}

export async function ingestK6Csv(files: string[], phases: readonly WallPhase[]): Promise<Ingested> {
  const state: CsvState = { t0Us: null, seconds: new Map(), rowsByMetric: new Map() };
  // Rows that arrive before the start marker are held back (only setup() traffic, normally).
  const early: string[][] = [];
  for (const file of files) {
    let columns: Record<string, number> | undefined;
    const onLine = (line: string) => {
      if (line.length === 0) return;
      const comma = line.indexOf(",");
      const metric = line.slice(0, comma);
      if (columns === undefined) {
        columns = {};
        splitCsv(line).forEach((name, i) => {
          (columns as Record<string, number>)[name] = i;
        });
        return;
      }
      state.rowsByMetric.set(metric, (state.rowsByMetric.get(metric) ?? 0) + 1);
      if (!WANTED.has(metric)) return;
      const row = splitCsv(line);
      if (metric === "stampede_setup_done") {
        state.t0Us = Number(row[columns.timestamp as number]);
        for (const held of early) record(state, held, columns);
        early.length = 0;
        return;
      }
      if (state.t0Us === null) early.push(row);
      else record(state, row, columns);
    };
    await readLines(file, onLine);
    if (early.length > 0 && columns !== undefined) {
      // No marker: start at the first sample so a partial run still gets a report.
      let first = Number.POSITIVE_INFINITY;
      for (const r of early) first = Math.min(first, Number(r[columns.timestamp as number]));
      state.t0Us = first;
      for (const held of early) record(state, held, columns);
      early.length = 0;
    }
  }
  return rollUp(state.t0Us, state.seconds, phases, state.rowsByMetric);
}

interface CsvState {
  t0Us: number | null;
  seconds: Map<number, SecondTally>;
  rowsByMetric: Map<string, number>;
}

function record(state: CsvState, row: string[], columns: Record<string, number>): void {
  const metric = row[0] as string;
  const tsUs = Number(row[columns.timestamp as number]);
  const value = Number(row[columns.metric_value as number]);
  const extra = row[columns.extra_tags as number] ?? "";
  const tRelS = (tsUs - (state.t0Us as number)) / 1e6;
  const sec = secondTally(state.seconds, Math.max(0, Math.floor(tRelS)));
  switch (metric) {
    case "http_req_duration": {
      if (row[columns.name as number] === "setup") return;
      const cls = tagValue(extra, "class");
      recordLatency(sec, isClass(cls) ? cls : undefined, value * 1000);
      return;
    }
    case "stampede_rejects": {
      const reason = tagValue(extra, "reason") as RejectReason | undefined;
      if (reason === undefined || !(REJECT_REASONS as readonly string[]).includes(reason)) return;
      const cls = tagValue(extra, "class");
      recordReject(sec, isClass(cls) ? cls : undefined, reason, value);
      return;
    }
    case "stampede_stale_read":
      sec.staleChecked++;
      if (value > 0) sec.staleReads++;
      return;
    case "stampede_stale_read_age_ms":
      recordStaleAge(sec, value);
      return;
    case "dropped_iterations":
      sec.droppedIterations += value;
      return;
  }
}

function bump(counts: ReasonCounts, reason: RejectReason, n: number): void {
  counts[reason] = (counts[reason] ?? 0) + n;
}

function classTally(result: Ingested, cls: TrafficClass): Tally {
  let t = result.byClass[cls];
  if (t === undefined) {
    t = newTally();
    result.byClass[cls] = t;
  }
  return t;
}

/** Index of the phase containing t; samples after the last phase (graceful stop) go to the last. */
export function phaseIndex(phases: readonly WallPhase[], t: number): number {
  for (let i = 0; i < phases.length; i++) if (t < (phases[i] as WallPhase).endS) return i;
  return phases.length - 1;
}

async function readLines(file: string, onLine: (line: string) => void): Promise<void> {
  const stream = file.endsWith(".gz")
    ? createReadStream(file).pipe(createGunzip({ finishFlush: constants.Z_SYNC_FLUSH }))
    : createReadStream(file);
  stream.setEncoding("utf8");
  let rest = "";
  for await (const chunk of stream as AsyncIterable<string>) {
    const text = rest + chunk;
    let start = 0;
    for (;;) {
      const nl = text.indexOf("\n", start);
      if (nl < 0) break;
      onLine(text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  // A run stopped hard can leave a truncated gzip member (tolerated by Z_SYNC_FLUSH) and a
  // truncated last line; that line is dropped rather than misread.
}
