import type { WallPhase } from "../loadtests/vocabulary/runFolder.ts";
import {
  AMP,
  ascii,
  bytesEqual,
  COMMA,
  CR,
  EQ,
  indexOfBytes,
  NL,
  parseNumber,
  QUOTE,
  quoteParity,
  recordEnd,
  splitCsv,
  tagValue,
} from "./csvBytes.ts";
import {
  EndpointTable,
  K_DROPPED,
  K_DURATION,
  K_REJECTS,
  K_SETUP_DONE,
  K_SKIP,
  K_STALE,
  K_STALE_AGE,
  KINDS,
  MetricTable,
} from "./k6CsvTables.ts";
import { REJECT_REASONS, type RejectReason, TRAFFIC_CLASSES } from "./model.ts";
import {
  OUTCOMES,
  type Outcome,
  outcomeIndexOfStatus,
  outcomeIndexOfStatusText,
  recordOutcome,
} from "./outcomes.ts";
import { rollUp } from "./rollUp.ts";
import {
  type Ingested,
  recordLatency,
  recordReject,
  recordStaleAge,
  type SecondTally,
  secondTally,
} from "./secondTally.ts";

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

const CLASS_KEY = ascii("class");
const REASON_KEY = ascii("reason");
const SETUP_NAME = ascii("setup");
const CLASS_BYTES = TRAFFIC_CLASSES.map(ascii);
const REASON_BYTES = REJECT_REASONS.map(ascii);

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

  // The class and reason tags of the current wanted row (readTags).
  private tagClass = -1;
  private tagReason = -1;

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
      const id = metricId(metrics, buf, start, lineEnd);
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
    const n = this.splitFields(buf, a, b);
    const ts = this.numberAt(buf, this.colTs, n);
    if (kind === K_SETUP_DONE) {
      this.row(kind, ts, 0, -1, -1, -1);
      return;
    }
    const value = this.numberAt(buf, this.colValue, n);
    let cls = -1;
    let reason = -1;
    let endpoint = -1;
    if (kind === K_DURATION || kind === K_REJECTS) {
      const fs = this.fieldStart;
      const fe = this.fieldEnd;
      const col = this.colName;
      const extra = this.colExtra;
      const named = col >= 0 && col < n;
      if (kind === K_DURATION && named && bytesEqual(buf, fs[col] as number, fe[col] as number, SETUP_NAME))
        cls = SETUP_CLASS;
      else if (extra >= 0 && extra < n) {
        this.readTags(buf, fs[extra] as number, fe[extra] as number, kind === K_REJECTS);
        cls = this.tagClass;
        reason = this.tagReason;
      }
      if (cls !== SETUP_CLASS && named && (fe[col] as number) > (fs[col] as number))
        endpoint = this.endpoints.id(buf, fs[col] as number, fe[col] as number);
    }
    // A duration row has no reason tag: its slot carries the request's outcome instead.
    if (kind === K_DURATION) reason = this.outcomeAt(buf, n);
    this.row(kind, ts, value, cls, reason, endpoint);
  }

  /** Splits bytes[a, b) at commas into fieldStart/fieldEnd up to the last column read; returns the count. */
  private splitFields(buf: Buffer, a: number, b: number): number {
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
    return n;
  }

  /** The number in column col of the split row (n fields); NaN when the row lacks it. */
  private numberAt(buf: Buffer, col: number, n: number): number {
    return col >= 0 && col < n
      ? parseNumber(buf, this.fieldStart[col] as number, this.fieldEnd[col] as number)
      : Number.NaN;
  }

  /** The outcome index of the split row's status column; -1 when absent or empty. */
  private outcomeAt(buf: Buffer, n: number): number {
    const st = this.colStatus;
    if (st < 0 || st >= n) return -1;
    const a = this.fieldStart[st] as number;
    const b = this.fieldEnd[st] as number;
    return b > a ? outcomeIndexOfStatus(parseNumber(buf, a, b)) : -1;
  }

  /**
   * The first `class=` and (when wantReason) first `reason=` pair of extra_tags bytes[p, end),
   * as tagValue finds them, into tagClass and tagReason (-1: none or unknown). Fields rather than
   * a returned object: this runs for most wanted rows and must not allocate.
   */
  private readTags(buf: Buffer, from: number, end: number, wantReason: boolean): void {
    let haveClass = false;
    let haveReason = !wantReason;
    this.tagClass = -1;
    this.tagReason = -1;
    let p = from;
    while (p <= end && !(haveClass && haveReason)) {
      let q = p;
      while (q < end && buf[q] !== AMP) q++;
      let eq = p;
      while (eq < q && buf[eq] !== EQ) eq++;
      if (eq < q && eq > p) {
        if (!haveClass && bytesEqual(buf, p, eq, CLASS_KEY)) {
          haveClass = true;
          this.tagClass = indexOfBytes(buf, eq + 1, q, CLASS_BYTES);
        } else if (!haveReason && bytesEqual(buf, p, eq, REASON_KEY)) {
          haveReason = true;
          this.tagReason = indexOfBytes(buf, eq + 1, q, REASON_BYTES);
        }
      }
      p = q + 1;
    }
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

/** The metric table's id of the record's first field (bytes[start, lineEnd) up to a comma). */
function metricId(metrics: MetricTable, buf: Buffer, start: number, lineEnd: number): number {
  let h = 0;
  let i = start;
  for (; i < lineEnd; i++) {
    const c = buf[i] as number;
    if (c === COMMA) break;
    h = (Math.imul(h, 31) + c) | 0;
  }
  return metrics.id(buf, start, i, h);
}

/** Class id of a request of k6's setup() (its `name` tag is "setup"): not recorded. */
const SETUP_CLASS = -2;
