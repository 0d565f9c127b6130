import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { basename } from "node:path";
import { constants, createGunzip, type ZlibOptions } from "node:zlib";
import type * as hdr from "hdr-histogram-js";
import type { WallPhase } from "../loadtests/vocabulary/runFolder.ts";
import { REJECT_REASONS, type RejectReason, TRAFFIC_CLASSES, type TrafficClass } from "./model.ts";
import {
  OUTCOMES,
  type Outcome,
  type OutcomeSeconds,
  type OutcomeTally,
  outcomeIndexOfStatus,
  outcomeIndexOfStatusText,
  recordOutcome,
  rollUpOutcomes,
} from "./outcomes.ts";
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
  /** The same requests by outcome (reports/outcomes.ts); absent when built without them. */
  byOutcome?: OutcomeTally;
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
  /**
   * Requests by endpoint (k6's `name` tag, e.g. "POST /fapi/v1/order"): a second breakdown of
   * the same requests as `byClass`, so never added to `latencyUs` again. Requests without a name
   * (simulated runs) are in no endpoint.
   */
  byEndpoint: Map<string, SparseHistogram>;
  /** Rejects by endpoint, then reason (also counted in `rejected`); rejects without a name in none. */
  rejectedByEndpoint: Map<string, ReasonCounts>;
  staleReads: number;
  staleChecked: number;
  /** Ages of the stale reads, ms (values < 1 recorded as 1); null when none. */
  staleAgeMs: SparseHistogram | null;
  /** Highest stale age seen, ms, unrounded; null when none. */
  staleAgeMaxMs: number | null;
  droppedIterations: number;
  /**
   * The second's requests again by class and outcome, keyed `<class>/<outcome>` (see
   * reports/outcomes.ts): a breakdown of `latencyUs`, never added to it.
   */
  byOutcome: OutcomeSeconds;
  /**
   * Written by the k6 output extension only (reports/lateness.ts): how far behind schedule the
   * second's iterations started, µs; latency from each request's scheduled start, µs; the
   * second's highest lateness, ms. Absent (or null) for csv and simulated runs.
   */
  latenessUs?: SparseHistogram | null;
  correctedUs?: SparseHistogram | null;
  lateMsMax?: number | null;
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
  /** Per endpoint (k6's `name` tag), from the seconds' `byEndpoint`; empty for simulated runs. */
  byEndpoint: Map<string, Tally>;
  /** Per phase, from the seconds whose middle lies in the phase (see `phaseIndex`). */
  byPhase: Tally[];
  seconds: Map<number, SecondTally>;
  staleReads: number;
  staleChecked: number;
  staleAgeMs: Histogram;
  droppedIterations: number;
  /** Rows seen per metric name in the k6 csv, for cross-checks against the raw file; empty otherwise. */
  rowsByMetric: Map<string, number>;
  /**
   * Sample files that ended mid-stream (a gzip without its trailer, a last record cut mid-line),
   * by file name: read as far as they go, and the run is not complete. Absent: none.
   */
  truncatedFiles?: string[];
}

export function newSecondTally(): SecondTally {
  return {
    latencyUs: new SparseHistogram(),
    byClass: {},
    unclassifiedUs: null,
    rejected: {},
    rejectedByClass: {},
    rejectedUnclassified: {},
    byEndpoint: new Map(),
    rejectedByEndpoint: new Map(),
    staleReads: 0,
    staleChecked: 0,
    staleAgeMs: null,
    staleAgeMaxMs: null,
    droppedIterations: 0,
    byOutcome: new Map(),
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

/**
 * Records `count` requests of latency `us` (µs, >= 1) of a class (undefined: unclassified) and,
 * when given, of an endpoint (k6's `name` tag).
 */
export function recordLatency(
  sec: SecondTally,
  cls: TrafficClass | undefined,
  us: number,
  count = 1,
  endpoint?: string,
): void {
  const v = Math.max(1, Math.round(us));
  sec.latencyUs.recordValueWithCount(v, count);
  if (endpoint !== undefined) {
    let e = sec.byEndpoint.get(endpoint);
    if (e === undefined) {
      e = new SparseHistogram();
      sec.byEndpoint.set(endpoint, e);
    }
    e.recordValueWithCount(v, count);
  }
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

/** Records n rejects of a reason for a class (undefined: unclassified) and, when given, an endpoint. */
export function recordReject(
  sec: SecondTally,
  cls: TrafficClass | undefined,
  reason: RejectReason,
  n = 1,
  endpoint?: string,
): void {
  bump(sec.rejected, reason, n);
  if (endpoint !== undefined) recordEndpointReject(sec, endpoint, reason, n);
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

/** Adds n rejects to an endpoint's counts only (the totals are recorded by `recordReject`). */
export function recordEndpointReject(
  sec: SecondTally,
  endpoint: string,
  reason: RejectReason,
  n: number,
): void {
  let counts = sec.rejectedByEndpoint.get(endpoint);
  if (counts === undefined) {
    counts = {};
    sec.rejectedByEndpoint.set(endpoint, counts);
  }
  bump(counts, reason, n);
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
    byEndpoint: new Map(),
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
    for (const [name, h] of sec.byEndpoint) h.addInto(endpointTally(result, name).latencyUs);
    for (const [name, counts] of sec.rejectedByEndpoint)
      addCounts(endpointTally(result, name).rejected, counts);
    result.staleReads += sec.staleReads;
    result.staleChecked += sec.staleChecked;
    if (sec.staleAgeMs !== null) sec.staleAgeMs.addInto(result.staleAgeMs);
    result.droppedIterations += sec.droppedIterations;
    rollUpOutcomes(
      sec.byOutcome,
      result.overall.byOutcome as OutcomeTally,
      phaseTally?.byOutcome,
      (cls) => classTally(result, cls).byOutcome as OutcomeTally,
    );
  }
  return result;
}

function addCounts(into: ReasonCounts, from: ReasonCounts): void {
  for (const [reason, n] of Object.entries(from) as Array<[RejectReason, number]>)
    if (n !== undefined) bump(into, reason, n);
}

function newTally(): Tally {
  return { latencyUs: latencyHistogram(), rejected: {}, byOutcome: {} };
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

function endpointTally(result: Ingested, name: string): Tally {
  let t = result.byEndpoint.get(name);
  if (t === undefined) {
    t = newTally();
    result.byEndpoint.set(name, t);
  }
  return t;
}

/** Index of the phase containing t; samples after the last phase (graceful stop) go to the last. */
export function phaseIndex(phases: readonly WallPhase[], t: number): number {
  for (let i = 0; i < phases.length; i++) if (t < (phases[i] as WallPhase).endS) return i;
  return phases.length - 1;
}

// ---------------------------------------------------------------------------------------------
// k6 csv ingest.
//
// Semantics (what `test/unit/ingest.test.ts` checks against a plain string parser):
// - A file is CSV as Go's encoding/csv writes it: records end with "\n" (a "\r" before it is
//   dropped), fields holding a comma, quote or newline are quoted with "" for a quote. The first
//   non-empty record of each file is its header; columns are found by name.
// - Every record counts in `rowsByMetric` under its first field. Only the metrics in KINDS are
//   read further; `stampede_setup_done` sets t0 (rows before it are held back, compactly, and
//   recorded once t0 is known; a file without a marker starts at its first held sample).
// - A last record without its "\n" (a run killed mid-write, a truncated gzip member) is dropped
//   rather than misread.
// - Numbers are read as `Number(field)` would (exactly: see `parseNumber`); a missing field is
//   NaN, an empty one 0. Tags come from `extra_tags` (`key=value&...`, first match wins).
// - The endpoint of a request or reject is its `name` column (k6's `name` tag); empty: none.
//   `setup` requests are not drill traffic. At most MAX_ENDPOINTS distinct names are kept (k6
//   names un-named requests by URL, which could be unbounded); the rest go to OTHER_ENDPOINT.
//
// How it is fast: decompressed chunks are scanned as bytes. A record's metric name is hashed
// while looking for its first comma and looked up in a small table; the ~86% of rows the
// reporter skips (http_reqs, http_req_blocked, ..., data_sent, iterations) cost a hash, a table
// probe and a newline search, no string. Wanted rows are split into field offsets and their
// numbers parsed from bytes. Records holding a quote (never written by k6 for its own columns)
// take a string path. Gunzip runs on libuv's thread pool, overlapping the parse.
// ---------------------------------------------------------------------------------------------

const K_SKIP = 0;
const K_DURATION = 1;
const K_REJECTS = 2;
const K_STALE = 3;
const K_STALE_AGE = 4;
const K_DROPPED = 5;
const K_SETUP_DONE = 6;

/** The metrics the reporter reads, by kind; every other metric is only counted. */
const KINDS = new Map<string, number>([
  ["http_req_duration", K_DURATION],
  ["stampede_rejects", K_REJECTS],
  ["stampede_stale_read", K_STALE],
  ["stampede_stale_read_age_ms", K_STALE_AGE],
  ["dropped_iterations", K_DROPPED],
  ["stampede_setup_done", K_SETUP_DONE],
]);

const QUOTE = 34;
const COMMA = 44;
const NL = 10;
const CR = 13;
const AMP = 38;
const EQ = 61;

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const CLASS_KEY = ascii("class");
const REASON_KEY = ascii("reason");
const SETUP_NAME = ascii("setup");
const CLASS_BYTES = TRAFFIC_CLASSES.map(ascii);
const REASON_BYTES = REJECT_REASONS.map(ascii);

/** Powers of ten that are exact doubles (10^0 .. 10^22). */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** bytes[a, b) === pattern */
function bytesEqual(bytes: Uint8Array, a: number, b: number, pattern: Uint8Array): boolean {
  if (b - a !== pattern.length) return false;
  for (let i = 0; i < pattern.length; i++) if (bytes[a + i] !== pattern[i]) return false;
  return true;
}

/** Index of the pattern bytes[a, b) equals, or -1. */
function indexOfBytes(bytes: Uint8Array, a: number, b: number, patterns: readonly Uint8Array[]): number {
  for (let i = 0; i < patterns.length; i++) if (bytesEqual(bytes, a, b, patterns[i] as Uint8Array)) return i;
  return -1;
}

/**
 * `Number(text)` of bytes[a, b), without a string for plain decimals (`-?digits[.digits]`):
 * with at most 2^53 as the digits' integer m and at most 22 decimals, m / 10^k is one correctly
 * rounded division of two exact doubles, which is what Number() returns. Anything else (signs,
 * exponents, spaces, long mantissas) goes through Number() itself.
 */
function parseNumber(bytes: Buffer, a: number, b: number): number {
  if (a === b) return 0;
  let i = a;
  const neg = bytes[i] === 45;
  if (neg) i++;
  let m = 0;
  let digits = 0;
  let decimals = -1;
  for (; i < b; i++) {
    const c = bytes[i] as number;
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (decimals >= 0) decimals++;
    } else if (c === 46 && decimals < 0) decimals = 0;
    else return Number(bytes.toString("utf8", a, b));
  }
  if (digits === 0 || m > Number.MAX_SAFE_INTEGER || decimals > 22)
    return Number(bytes.toString("utf8", a, b));
  const v = decimals > 0 ? m / (POW10[decimals] as number) : m;
  return neg ? -v : v;
}

/** `key=value&key=value` from k6's extra_tags column (the string path). */
function tagValue(extraTags: string, key: string): string | undefined {
  for (const pair of extraTags.split("&")) {
    const eq = pair.indexOf("=");
    if (eq > 0 && pair.slice(0, eq) === key) return pair.slice(eq + 1);
  }
  return undefined;
}

/** Splits one CSV record (quotes removed, "" unescaped); the quoted path only runs when needed. */
export function splitCsv(line: string): string[] {
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

/** Distinct endpoints kept per run; further names are counted under OTHER_ENDPOINT. */
export const MAX_ENDPOINTS = 200;
export const OTHER_ENDPOINT = "(other)";
/** Endpoints compared byte by byte (a drill has four); later ones are looked up by string. */
const LINEAR_ENDPOINTS = 16;

/** Endpoint names (k6's `name` tag) by id. */
class EndpointTable {
  private readonly bytes: Uint8Array[] = [];
  readonly names: string[] = [];
  private readonly byName = new Map<string, number>();

  /** The id of the endpoint named bytes[a, b) (a < b), added when new. */
  id(buf: Buffer, a: number, b: number): number {
    const bytes = this.bytes;
    const n = bytes.length < LINEAR_ENDPOINTS ? bytes.length : LINEAR_ENDPOINTS;
    for (let i = 0; i < n; i++) if (bytesEqual(buf, a, b, bytes[i] as Uint8Array)) return i;
    return this.idOf(buf.toString("utf8", a, b));
  }

  /** The id of an endpoint name, added when new (OTHER_ENDPOINT's once MAX_ENDPOINTS are known). */
  idOf(name: string): number {
    const known = this.byName.get(name);
    if (known !== undefined) return known;
    if (this.names.length >= MAX_ENDPOINTS && name !== OTHER_ENDPOINT) return this.idOf(OTHER_ENDPOINT);
    const id = this.names.length;
    this.names.push(name);
    this.bytes.push(Buffer.from(name, "utf8"));
    this.byName.set(name, id);
    return id;
  }
}

/** Metric names seen, by the bytes of the name: open addressing on a 31-multiplier hash. */
class MetricTable {
  private slots = new Int32Array(64).fill(-1);
  readonly names: Uint8Array[] = [];
  readonly hashes: number[] = [];
  readonly kinds: number[] = [];
  readonly counts: number[] = [];

  /** The id of the name bytes[a, b) whose hash is h, added when new. */
  id(bytes: Uint8Array, a: number, b: number, h: number): number {
    const mask = this.slots.length - 1;
    let s = h & mask;
    for (;;) {
      const e = this.slots[s] as number;
      if (e < 0) return this.add(bytes.slice(a, b), h);
      if (this.hashes[e] === h) {
        const name = this.names[e] as Uint8Array;
        if (bytesEqual(bytes, a, b, name)) return e;
      }
      s = (s + 1) & mask;
    }
  }

  private add(name: Uint8Array, h: number): number {
    const e = this.names.length;
    this.names.push(name);
    this.hashes.push(h);
    this.kinds.push(KINDS.get(Buffer.from(name).toString("utf8")) ?? K_SKIP);
    this.counts.push(0);
    if (this.names.length * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(e);
    return e;
  }

  private place(e: number): void {
    const mask = this.slots.length - 1;
    let s = (this.hashes[e] as number) & mask;
    while ((this.slots[s] as number) >= 0) s = (s + 1) & mask;
    this.slots[s] = e;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size).fill(-1);
    for (let e = 0; e < this.names.length; e++) this.place(e);
  }
}

/**
 * Incremental k6 csv ingest: `beginFile`, `push` decompressed chunks of any size (a record may
 * span chunks), `endFile`, repeat per file, then `finish`. Memory: the per-second tallies, the
 * metric table and a partial record; rows before the start marker are held as numbers.
 */
export class K6CsvIngest {
  private t0Us: number | null = null;
  private readonly seconds = new Map<number, SecondTally>();
  private readonly metrics = new MetricTable();
  private readonly endpoints = new EndpointTable();
  /** Counts of records parsed on the string path (they hold quotes), by metric name. */
  private readonly slowCounts = new Map<string, number>();

  // Per file.
  private haveHeader = false;
  private colTs = -1;
  private colValue = -1;
  private colName = -1;
  private colExtra = -1;
  /** k6's `status` column: a request's outcome (reports/outcomes.ts); -1 when absent. */
  private colStatus = -1;
  /** The highest of the columns above: fields after it are not split. */
  private lastCol = -1;
  /** The unfinished record at the end of the previous chunk. */
  private carry: Buffer | null = null;

  // Rows before the start marker: kind, timestamp, value, class, reason, endpoint.
  private heldKind: number[] = [];
  private heldTs: number[] = [];
  private heldValue: number[] = [];
  private heldClass: number[] = [];
  private heldReason: number[] = [];
  private heldEndpoint: number[] = [];

  // Field offsets of the current wanted row.
  private fieldStart: Int32Array = new Int32Array(32);
  private fieldEnd: Int32Array = new Int32Array(32);

  // The last second recorded into (rows come nearly in time order).
  private lastKey = Number.NaN;
  private lastSec: SecondTally | null = null;

  beginFile(): void {
    this.haveHeader = false;
    this.colTs = this.colValue = this.colName = this.colExtra = this.colStatus = this.lastCol = -1;
    this.carry = null;
  }

  /** Takes a chunk of decompressed csv; it is not kept (a partial record is copied). */
  push(data: Uint8Array): void {
    let chunk = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (this.carry !== null) {
      // Finish the record begun in an earlier chunk.
      const carry = this.carry;
      const end = recordEnd(chunk, 0, quoteParity(carry));
      if (end < 0) {
        this.carry = Buffer.concat([carry, chunk]);
        return;
      }
      this.carry = null;
      const line = Buffer.concat([carry, chunk.subarray(0, end + 1)]);
      this.consume(line);
      chunk = chunk.subarray(end + 1);
    }
    const rest = this.consume(chunk);
    if (rest < chunk.length) this.carry = Buffer.from(chunk.subarray(rest));
  }

  /**
   * Ends a file: drops an unterminated last record, starts held rows if it had no marker.
   * Returns true when there was such a record: the file was cut mid-write.
   */
  endFile(): boolean {
    const cut = this.carry !== null && this.carry.length > 0;
    this.carry = null;
    if (this.heldKind.length > 0) {
      // No marker (rows are only held while t0 is unknown): start at the first sample so a
      // partial run still gets a report.
      let first = Number.POSITIVE_INFINITY;
      for (const ts of this.heldTs) first = Math.min(first, ts);
      this.t0Us = first;
      this.replayHeld();
    }
    return cut;
  }

  finish(phases: readonly WallPhase[]): Ingested {
    const rowsByMetric = new Map<string, number>();
    const add = (name: string, n: number) => rowsByMetric.set(name, (rowsByMetric.get(name) ?? 0) + n);
    const { names, counts } = this.metrics;
    for (let e = 0; e < names.length; e++)
      if ((counts[e] as number) > 0)
        add(Buffer.from(names[e] as Uint8Array).toString("utf8"), counts[e] as number);
    for (const [name, n] of this.slowCounts) add(name, n);
    return rollUp(this.t0Us, this.seconds, phases, rowsByMetric);
  }

  /** Parses the complete records of buf; returns where the unfinished one starts. */
  private consume(buf: Buffer): number {
    const len = buf.length;
    let pos = 0;
    let nextQuote = buf.indexOf(QUOTE);
    if (nextQuote < 0) nextQuote = len;
    const metrics = this.metrics;
    while (pos < len) {
      const nl = buf.indexOf(NL, pos);
      if (nl < 0) break;
      if (nextQuote < nl) {
        // A quoted field: the record may run past this newline.
        const end = recordEnd(buf, pos, 0);
        if (end < 0) break;
        this.slowRecord(buf.toString("utf8", pos, buf[end - 1] === CR ? end - 1 : end));
        pos = end + 1;
        if (nextQuote < pos) {
          nextQuote = buf.indexOf(QUOTE, pos);
          if (nextQuote < 0) nextQuote = len;
        }
        continue;
      }
      let lineEnd = nl;
      if (lineEnd > pos && buf[lineEnd - 1] === CR) lineEnd--;
      const start = pos;
      pos = nl + 1;
      if (lineEnd === start) continue; // empty line
      if (!this.haveHeader) {
        this.header(buf.toString("utf8", start, lineEnd));
        continue;
      }
      let h = 0;
      let i = start;
      for (; i < lineEnd; i++) {
        const c = buf[i] as number;
        if (c === COMMA) break;
        h = (Math.imul(h, 31) + c) | 0;
      }
      const id = metrics.id(buf, start, i, h);
      metrics.counts[id] = (metrics.counts[id] as number) + 1;
      const kind = metrics.kinds[id] as number;
      if (kind !== K_SKIP) this.wantedRow(buf, start, lineEnd, kind);
    }
    return pos;
  }

  private header(text: string): void {
    this.haveHeader = true;
    const columns = new Map<string, number>();
    splitCsv(text).forEach((name, i) => {
      columns.set(name, i);
    });
    this.colTs = columns.get("timestamp") ?? -1;
    this.colValue = columns.get("metric_value") ?? -1;
    this.colName = columns.get("name") ?? -1;
    this.colExtra = columns.get("extra_tags") ?? -1;
    this.colStatus = columns.get("status") ?? -1;
    this.lastCol = Math.max(this.colTs, this.colValue, this.colName, this.colExtra, this.colStatus);
    if (this.lastCol >= this.fieldStart.length) {
      this.fieldStart = new Int32Array(this.lastCol + 1);
      this.fieldEnd = new Int32Array(this.lastCol + 1);
    }
  }

  /** A wanted row without quotes: fields as byte ranges, up to the last column read. */
  private wantedRow(buf: Buffer, a: number, b: number, kind: number): void {
    const fs = this.fieldStart;
    const fe = this.fieldEnd;
    const last = this.lastCol;
    let n = 0;
    let s = a;
    for (let i = a; n <= last; i++) {
      if (i === b || buf[i] === COMMA) {
        fs[n] = s;
        fe[n] = i;
        n++;
        s = i + 1;
        if (i === b) break;
      }
    }
    const colTs = this.colTs;
    const ts =
      colTs >= 0 && colTs < n ? parseNumber(buf, fs[colTs] as number, fe[colTs] as number) : Number.NaN;
    if (kind === K_SETUP_DONE) {
      this.row(kind, ts, 0, -1, -1, -1);
      return;
    }
    const colValue = this.colValue;
    const value =
      colValue >= 0 && colValue < n
        ? parseNumber(buf, fs[colValue] as number, fe[colValue] as number)
        : Number.NaN;
    let cls = -1;
    let reason = -1;
    let endpoint = -1;
    if (kind === K_DURATION || kind === K_REJECTS) {
      const col = this.colName;
      const extra = this.colExtra;
      if (
        kind === K_DURATION &&
        col >= 0 &&
        col < n &&
        bytesEqual(buf, fs[col] as number, fe[col] as number, SETUP_NAME)
      )
        cls = SETUP_CLASS;
      else if (extra >= 0 && extra < n) {
        // First `class=` and first `reason=` pair, as tagValue finds them.
        const end = fe[extra] as number;
        let haveClass = false;
        let haveReason = kind !== K_REJECTS;
        let p = fs[extra] as number;
        while (p <= end && !(haveClass && haveReason)) {
          let q = p;
          while (q < end && buf[q] !== AMP) q++;
          let eq = p;
          while (eq < q && buf[eq] !== EQ) eq++;
          if (eq < q && eq > p) {
            if (!haveClass && bytesEqual(buf, p, eq, CLASS_KEY)) {
              haveClass = true;
              cls = indexOfBytes(buf, eq + 1, q, CLASS_BYTES);
            } else if (!haveReason && bytesEqual(buf, p, eq, REASON_KEY)) {
              haveReason = true;
              reason = indexOfBytes(buf, eq + 1, q, REASON_BYTES);
            }
          }
          p = q + 1;
        }
      }
      if (cls !== SETUP_CLASS && col >= 0 && col < n && (fe[col] as number) > (fs[col] as number))
        endpoint = this.endpoints.id(buf, fs[col] as number, fe[col] as number);
    }
    // A duration row has no reason tag: its slot carries the request's outcome instead.
    if (kind === K_DURATION) {
      const st = this.colStatus;
      reason =
        st >= 0 && st < n && (fe[st] as number) > (fs[st] as number)
          ? outcomeIndexOfStatus(parseNumber(buf, fs[st] as number, fe[st] as number))
          : -1;
    }
    this.row(kind, ts, value, cls, reason, endpoint);
  }

  /** A record holding quotes (or any record, for tests): the string path. */
  private slowRecord(text: string): void {
    if (text.length === 0) return;
    if (!this.haveHeader) {
      this.header(text);
      return;
    }
    const row = splitCsv(text);
    const metric = row[0] as string;
    this.slowCounts.set(metric, (this.slowCounts.get(metric) ?? 0) + 1);
    const kind = KINDS.get(metric) ?? K_SKIP;
    if (kind === K_SKIP) return;
    const ts = Number(row[this.colTs]);
    const value = Number(row[this.colValue]);
    let cls = -1;
    let reason = -1;
    let endpoint = -1;
    if (kind === K_DURATION && row[this.colName] === "setup") cls = SETUP_CLASS;
    else {
      const extra = row[this.colExtra] ?? "";
      cls = (TRAFFIC_CLASSES as readonly string[]).indexOf(tagValue(extra, "class") as string);
      const r = tagValue(extra, "reason");
      reason = r === undefined ? -1 : (REJECT_REASONS as readonly string[]).indexOf(r);
      const name = row[this.colName];
      if ((kind === K_DURATION || kind === K_REJECTS) && name !== undefined && name !== "")
        endpoint = this.endpoints.idOf(name);
    }
    if (kind === K_DURATION) reason = outcomeIndexOfStatusText(row[this.colStatus]);
    this.row(kind, ts, value, cls, reason, endpoint);
  }

  /** A parsed wanted row: sets t0, is held back until t0 is known, or is recorded. */
  private row(kind: number, ts: number, value: number, cls: number, reason: number, endpoint: number): void {
    if (kind === K_SETUP_DONE) {
      // Several files (one per generator, `drill --generators N`, or k6-operator runners): each
      // k6 process runs setup() and writes its own marker. The first marker of the first file
      // (files in name order: k6-0 first) is the shared t0; later markers are ignored, so every
      // sample is placed against one clock and the merge equals a single file's ingest.
      if (this.t0Us === null) this.t0Us = ts;
      this.replayHeld();
    } else if (this.t0Us === null) {
      this.heldKind.push(kind);
      this.heldTs.push(ts);
      this.heldValue.push(value);
      this.heldClass.push(cls);
      this.heldReason.push(reason);
      this.heldEndpoint.push(endpoint);
    } else this.record(kind, ts, value, cls, reason, endpoint);
  }

  private replayHeld(): void {
    for (let i = 0; i < this.heldKind.length; i++)
      this.record(
        this.heldKind[i] as number,
        this.heldTs[i] as number,
        this.heldValue[i] as number,
        this.heldClass[i] as number,
        this.heldReason[i] as number,
        this.heldEndpoint[i] as number,
      );
    this.heldKind = [];
    this.heldTs = [];
    this.heldValue = [];
    this.heldClass = [];
    this.heldReason = [];
    this.heldEndpoint = [];
  }

  private record(
    kind: number,
    ts: number,
    value: number,
    cls: number,
    reason: number,
    endpoint: number,
  ): void {
    const tRelS = (ts - (this.t0Us as number)) / 1e6;
    const key = Math.max(0, Math.floor(tRelS));
    let sec = this.lastSec;
    if (key !== this.lastKey || sec === null) {
      sec = secondTally(this.seconds, key);
      this.lastKey = key;
      this.lastSec = sec;
    }
    switch (kind) {
      case K_DURATION:
        if (cls === SETUP_CLASS) return; // setup() traffic is not drill traffic
        recordLatency(
          sec,
          TRAFFIC_CLASSES[cls],
          value * 1000,
          1,
          endpoint >= 0 ? this.endpoints.names[endpoint] : undefined,
        );
        // `reason` is the outcome here (see wantedRow); a csv without a status column has none.
        if (reason >= 0)
          recordOutcome(sec.byOutcome, TRAFFIC_CLASSES[cls], OUTCOMES[reason] as Outcome, value * 1000);
        return;
      case K_REJECTS:
        if (reason < 0) return;
        recordReject(
          sec,
          TRAFFIC_CLASSES[cls],
          REJECT_REASONS[reason] as RejectReason,
          value,
          endpoint >= 0 ? this.endpoints.names[endpoint] : undefined,
        );
        return;
      case K_STALE:
        sec.staleChecked++;
        if (value > 0) sec.staleReads++;
        return;
      case K_STALE_AGE:
        recordStaleAge(sec, value);
        return;
      case K_DROPPED:
        sec.droppedIterations += value;
        return;
    }
  }
}

/** Class id of a request of k6's setup() (its `name` tag is "setup"): not recorded. */
const SETUP_CLASS = -2;

/** 1 when bytes hold an odd number of quotes (a record that stopped inside a quoted field). */
function quoteParity(bytes: Uint8Array): number {
  let odd = 0;
  for (let i = bytes.indexOf(QUOTE); i >= 0; i = bytes.indexOf(QUOTE, i + 1)) odd ^= 1;
  return odd;
}

/** The "\n" ending the record that starts at `from` (inside quotes when `inQuotes`), or -1. */
function recordEnd(buf: Buffer, from: number, inQuotes: number): number {
  let quoted = inQuotes;
  let pos = from;
  for (;;) {
    const nl = buf.indexOf(NL, pos);
    if (nl < 0) return -1;
    for (let q = buf.indexOf(QUOTE, pos); q >= 0 && q < nl; q = buf.indexOf(QUOTE, q + 1)) quoted ^= 1;
    if (quoted === 0) return nl;
    pos = nl + 1;
  }
}

export interface IngestOptions {
  /** Bytes per read from disk and per decompressed chunk (tests use tiny ones). */
  chunkBytes?: number;
}

/** Streams k6 csv(.gz) files into per-second tallies; see `K6CsvIngest` for the semantics. */
export async function ingestK6Csv(
  files: string[],
  phases: readonly WallPhase[],
  options: IngestOptions = {},
): Promise<Ingested> {
  const chunkBytes = options.chunkBytes ?? 1 << 18;
  const ingest = new K6CsvIngest();
  const truncatedFiles: string[] = [];
  // Name order, so the shared t0 is the first generator's marker (k6-0.csv.gz) whatever order
  // the directory listing gave.
  for (const file of [...files].sort()) {
    ingest.beginFile();
    let bytes = 0;
    for await (const chunk of openCsv(file, chunkBytes)) {
      bytes += chunk.length;
      ingest.push(chunk);
    }
    const cutRecord = ingest.endFile();
    const cutGzip = file.endsWith(".gz") && !(await gzipTrailerMatches(file, bytes));
    if (cutRecord || cutGzip) truncatedFiles.push(basename(file));
  }
  const ingested = ingest.finish(phases);
  return truncatedFiles.length > 0 ? { ...ingested, truncatedFiles } : ingested;
}

/** Size of a gzip member's header (10) plus trailer (8): nothing shorter is a whole file. */
const GZIP_MIN_BYTES = 18;

/**
 * Whether a gzip file ends with its trailer: the last 4 bytes (ISIZE) are the decompressed size
 * mod 2^32. k6 writes one member and the trailer only when it closes the file, so a k6 killed
 * mid-run leaves a file whose last bytes are deflate data; those equal the size read by chance
 * once in 2^32. The gunzip below reads such a file as far as it goes without an error (zlib's
 * own "unexpected end of file" comes only with Z_FINISH, which drops the last output), hence
 * this check. A file of several gzip members (k6 writes one) is judged by its last member
 * alone, so it would be flagged too.
 */
async function gzipTrailerMatches(file: string, decompressedBytes: number): Promise<boolean> {
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    if (size < GZIP_MIN_BYTES) return false;
    const isize = Buffer.alloc(4);
    await handle.read(isize, 0, 4, size - 4);
    return isize.readUInt32LE(0) === decompressedBytes % 2 ** 32;
  } finally {
    await handle.close();
  }
}

/** The decompressed bytes of a csv or csv.gz file. A truncated gzip ends early, without error. */
function openCsv(file: string, chunkBytes: number): AsyncIterable<Buffer> {
  const source = createReadStream(file, { highWaterMark: Math.max(chunkBytes, 1 << 16) * 4 });
  if (!file.endsWith(".gz")) return source;
  const gunzip = createGunzip({
    finishFlush: constants.Z_SYNC_FLUSH,
    chunkSize: Math.max(chunkBytes, constants.Z_MIN_CHUNK),
    // Let decompression (libuv thread pool) run ahead of the parse (this thread).
    readableHighWaterMark: 1 << 22,
  } as ZlibOptions);
  source.on("error", (err) => gunzip.destroy(err));
  return source.pipe(gunzip);
}
