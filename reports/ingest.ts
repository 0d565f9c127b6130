import { createReadStream } from "node:fs";
import { constants, createGunzip } from "node:zlib";
import * as hdr from "hdr-histogram-js";
import type { WallPhase } from "../loadtests/lib/plan.ts";
import { REJECT_REASONS, type RejectReason, TRAFFIC_CLASSES, type TrafficClass } from "./model.ts";

/**
 * Streams k6's raw samples (csv.gz, K6_CSV_TIME_FORMAT=unix_micro) into HDR histograms per
 * second, per class and per phase. Memory grows with seconds x series, not with samples.
 * Latencies are recorded in microseconds; percentiles are only ever read from histograms
 * (merged with `add`), never averaged.
 */

export type Histogram = hdr.Histogram;

/** 1 µs to 1 h at 3 significant digits, like HdrHistogram's usual latency set-up. */
export function latencyHistogram(packed = false): Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
    // Per-second histograms are many and mostly sparse: packed storage keeps them small.
    bitBucketSize: packed ? "packed" : 32,
  });
}

export interface Tally {
  latencyUs: Histogram;
  rejected: Partial<Record<RejectReason, number>>;
}

export interface SecondTally extends Tally {
  byClass: Partial<Record<TrafficClass, Histogram>>;
  staleReads: number;
  staleChecked: number;
  staleAgeMaxMs: number | null;
  droppedIterations: number;
}

export interface Ingested {
  /** Unix µs of the drill's start (k6 setup() done); null if the marker is missing. */
  t0Us: number | null;
  overall: Tally;
  byClass: Partial<Record<TrafficClass, Tally>>;
  byPhase: Tally[];
  seconds: Map<number, SecondTally>;
  staleReads: number;
  staleChecked: number;
  staleAgeMs: Histogram;
  droppedIterations: number;
  /** Rows seen per metric name, for cross-checks against the raw file. */
  rowsByMetric: Map<string, number>;
}

const WANTED = new Set([
  "http_req_duration",
  "stampede_rejects",
  "stampede_stale_read",
  "stampede_stale_read_age_ms",
  "dropped_iterations",
  "stampede_setup_done",
]);

function newTally(packed: boolean): Tally {
  return { latencyUs: latencyHistogram(packed), rejected: {} };
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
  const result: Ingested = {
    t0Us: null,
    overall: newTally(false),
    byClass: {},
    byPhase: phases.map(() => newTally(false)),
    seconds: new Map(),
    staleReads: 0,
    staleChecked: 0,
    staleAgeMs: latencyHistogram(false),
    droppedIterations: 0,
    rowsByMetric: new Map(),
  };
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
      result.rowsByMetric.set(metric, (result.rowsByMetric.get(metric) ?? 0) + 1);
      if (!WANTED.has(metric)) return;
      const row = splitCsv(line);
      if (metric === "stampede_setup_done") {
        result.t0Us = Number(row[columns.timestamp as number]);
        for (const held of early) record(result, held, columns, phases);
        early.length = 0;
        return;
      }
      if (result.t0Us === null) early.push(row);
      else record(result, row, columns, phases);
    };
    await readLines(file, onLine);
    if (early.length > 0 && columns !== undefined) {
      // No marker: start at the first sample so a partial run still gets a report.
      result.t0Us = Math.min(
        ...early.map((r) => Number(r[(columns as Record<string, number>).timestamp as number])),
      );
      for (const held of early) record(result, held, columns, phases);
      early.length = 0;
    }
  }
  return result;
}

function record(
  result: Ingested,
  row: string[],
  columns: Record<string, number>,
  phases: readonly WallPhase[],
): void {
  const metric = row[0] as string;
  const tsUs = Number(row[columns.timestamp as number]);
  const value = Number(row[columns.metric_value as number]);
  const extra = row[columns.extra_tags as number] ?? "";
  const tRelS = (tsUs - (result.t0Us as number)) / 1e6;
  const second = Math.max(0, Math.floor(tRelS));
  let sec = result.seconds.get(second);
  if (sec === undefined) {
    sec = {
      ...newTally(true),
      byClass: {},
      staleReads: 0,
      staleChecked: 0,
      staleAgeMaxMs: null,
      droppedIterations: 0,
    };
    result.seconds.set(second, sec);
  }
  switch (metric) {
    case "http_req_duration": {
      if (row[columns.name as number] === "setup") return;
      const us = Math.max(1, Math.round(value * 1000));
      const cls = tagValue(extra, "class") as TrafficClass | undefined;
      const known =
        cls !== undefined && (TRAFFIC_CLASSES as readonly string[]).includes(cls) ? cls : undefined;
      result.overall.latencyUs.recordValue(us);
      sec.latencyUs.recordValue(us);
      const phase = phaseIndex(phases, tRelS);
      if (phase >= 0) (result.byPhase[phase] as Tally).latencyUs.recordValue(us);
      if (known !== undefined) {
        classTally(result, known).latencyUs.recordValue(us);
        let h = sec.byClass[known];
        if (h === undefined) {
          h = latencyHistogram(true);
          sec.byClass[known] = h;
        }
        h.recordValue(us);
      }
      return;
    }
    case "stampede_rejects": {
      const reason = tagValue(extra, "reason") as RejectReason | undefined;
      if (reason === undefined || !(REJECT_REASONS as readonly string[]).includes(reason)) return;
      const n = value;
      bump(result.overall.rejected, reason, n);
      bump(sec.rejected, reason, n);
      const phase = phaseIndex(phases, tRelS);
      if (phase >= 0) bump((result.byPhase[phase] as Tally).rejected, reason, n);
      const cls = tagValue(extra, "class") as TrafficClass | undefined;
      if (cls !== undefined && (TRAFFIC_CLASSES as readonly string[]).includes(cls))
        bump(classTally(result, cls).rejected, reason, n);
      return;
    }
    case "stampede_stale_read":
      result.staleChecked++;
      sec.staleChecked++;
      if (value > 0) {
        result.staleReads++;
        sec.staleReads++;
      }
      return;
    case "stampede_stale_read_age_ms":
      result.staleAgeMs.recordValue(Math.max(1, Math.round(value)));
      sec.staleAgeMaxMs = Math.max(sec.staleAgeMaxMs ?? 0, value);
      return;
    case "dropped_iterations":
      result.droppedIterations += value;
      sec.droppedIterations += value;
      return;
  }
}

function bump(counts: Partial<Record<RejectReason, number>>, reason: RejectReason, n: number): void {
  counts[reason] = (counts[reason] ?? 0) + n;
}

function classTally(result: Ingested, cls: TrafficClass): Tally {
  let t = result.byClass[cls];
  if (t === undefined) {
    t = newTally(false);
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
