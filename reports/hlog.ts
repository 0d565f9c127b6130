import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as hdr from "hdr-histogram-js";
import type { WallPhase } from "../loadtests/vocabulary/runFolder.ts";
import {
  REJECT_REASONS,
  type RejectReason,
  TRAFFIC_CLASSES,
  type TrafficClass,
} from "../loadtests/vocabulary/traffic.ts";
import {
  type Ingested,
  newSecondTally,
  type ReasonCounts,
  recordEndpointReject,
  recordReject,
  rollUp,
  type SecondTally,
  secondTally,
} from "./ingest.ts";
import { OUTCOME_TAG_PREFIX, outcomeTotals, readOutcomeInterval } from "./outcomes.ts";
import { latencyHistogram, SparseHistogram } from "./sparse.ts";

/**
 * The reporter's intermediate form of client-side data, written into `runs/<id>/` next to (or,
 * for a simulated run, instead of) k6's csv:
 *
 * - `latency.hlog`: a standard HdrHistogram interval log (format 1.3, what HdrHistogram's
 *   HistogramLogWriter writes and HistogramLogProcessor reads). Header: `#[StartTime: <t0 s since
 *   epoch> ...]` and `#[BaseTime: <t0> ...]`, so interval timestamps are seconds since t0. One
 *   interval of 1 s per (second, traffic class) with requests, tagged `Tag=order`,
 *   `Tag=position`, `Tag=depth` (`Tag=unclassified` for requests without a class tag, if any);
 *   values are latencies in µs (the Interval_Max column is in ms). Intervals tagged
 *   `Tag=stale_age` hold the ages of that second's stale reads in ms. Read one class with
 *   e.g. `HistogramLogProcessor -i latency.hlog -tag order -outputValueUnitRatio 1000`.
 *   Per endpoint (k6's `name` tag), one more interval per (second, endpoint), tagged
 *   `Tag=endpoint=<name>` with the name percent-encoded (see `endpointTag`), e.g.
 *   `Tag=endpoint=POST%20/fapi/v1/order`: the same requests as the class intervals again, so a
 *   tool adding up every interval regardless of tag counts them twice (HistogramLogProcessor
 *   without `-tag` reads untagged intervals only; there are none).
 *   Per outcome (reports/outcomes.ts: served = 2xx, policy = 429/418, capacity = 503/408/502 and
 *   no response, other), the same requests twice more: one interval per (second, class,
 *   outcome) tagged `Tag=<class>/<outcome>` (e.g. `Tag=order/served`, `Tag=unclassified/capacity`)
 *   and one per (second, outcome) over all classes tagged `Tag=outcome=<outcome>` (e.g.
 *   `Tag=outcome=served`: `HistogramLogProcessor -i latency.hlog -tag outcome=served
 *   -outputValueUnitRatio 1000` gives served-only percentiles). The tags above keep their
 *   meaning: `Tag=order` is every order request whatever its outcome. Logs written before
 *   outcomes have none of these intervals.
 *   Written by the k6 output extension (loadtests/k6-output/) only: `Tag=lateness` (µs each
 *   iteration of the second started behind its schedule; on time is 1 µs, the histograms' floor) and `Tag=corrected=<class>` (µs from
 *   each request's scheduled start, the iteration's lateness plus its duration). Tags of the
 *   form `key=value` that this reader does not know are skipped, so a writer can add breakdowns
 *   of the same requests without them being counted twice; a bare unknown tag is a request
 *   series of an unknown class (counted in the total, under no class).
 * - With several k6 processes (`drill --generators N`, k6-operator runners) each writes
 *   `latency-<i>.hlog` and `client-<i>.jsonl`; `readIngested` merges them (see `readRunFiles`).
 * - `client.jsonl`: one JSON line per second, t = 0 .. last second, with what the histograms
 *   do not hold (schema `ClientSecond` below).
 * - `latency.hgrm`: the whole run's latency percentile distribution (all classes), ms, as
 *   `outputPercentileDistribution` prints it; for people, never read back.
 *
 * Summaries are rebuilt from these per-second records with `add` (see `rollUp`), so a report
 * from the csv and one from these files are the same.
 */

export const HLOG_FILE = "latency.hlog";
export const CLIENT_FILE = "client.jsonl";
export const HGRM_FILE = "latency.hgrm";

/** Comment naming a sample file the log was built from that ended mid-stream. */
const SOURCE_TRUNCATED = "[SourceTruncated:";

/** Tag of the intervals holding stale-read ages (ms). */
export const STALE_AGE_TAG = "stale_age";
/** Tag of the intervals holding requests that had no known class tag. */
export const UNCLASSIFIED_TAG = "unclassified";
/** Prefix of the tags of per-endpoint intervals: `endpoint=<percent-encoded name>`. */
export const ENDPOINT_TAG_PREFIX = "endpoint=";
/** Tag of the intervals holding iteration lateness (µs behind schedule; k6 output extension). */
export const LATENESS_TAG = "lateness";
/** Prefix of the tags of corrected-latency intervals (µs from the scheduled start): `corrected=<class>`. */
export const CORRECTED_TAG_PREFIX = "corrected=";

/**
 * The interval tag of an endpoint. HdrHistogram's log readers split a line on commas (Java's on
 * `[ ,\r\n]`, and its writer refuses tags holding commas, spaces or line breaks), so `%`,
 * commas, whitespace, other control characters and non-ASCII are written as %XX (UTF-8 bytes).
 * `/`, `=`, `:` and the rest of printable ASCII stay as they are.
 */
export function endpointTag(name: string): string {
  return ENDPOINT_TAG_PREFIX + name.replace(/[^\x21-\x7e]|[%,]/gu, percentEncoded);
}

/** %XX for each UTF-8 byte of a character. */
function percentEncoded(ch: string): string {
  let out = "";
  for (const byte of Buffer.from(ch, "utf8")) out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  return out;
}

/** The endpoint name of a tag written by `endpointTag`, or undefined for other tags. */
export function endpointOfTag(tag: string): string | undefined {
  if (!tag.startsWith(ENDPOINT_TAG_PREFIX)) return undefined;
  const encoded = tag.slice(ENDPOINT_TAG_PREFIX.length);
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded; // not written by us: keep the text as it is
  }
}

/**
 * One line of client.jsonl.
 * ```
 * {
 *   "t": 12,                                  // seconds since t0; the second [t, t+1)
 *   "rejected": {"order": {"rate_limited": 3}},  // rejects by class, then reason (classes/reasons with 0 left out)
 *   "rejectedUnclassified": {"error": 1},     // optional: rejects without a class tag
 *   "rejectedByEndpoint": {"POST /fapi/v1/order": {"rate_limited": 3}},  // optional: the same rejects by endpoint
 *   "staleReads": 2,                          // position reads older than an acknowledged change
 *   "staleChecked": 40,                       // position reads that had a change to check against
 *   "staleAgeMaxMs": 812.5,                   // oldest stale read in the second, ms; null when none
 *   "droppedIterations": 0,                   // iterations the load generator could not start
 *   "lateMs": 3.2                             // optional (k6 output extension): the second's latest iteration start behind schedule, ms; null when none
 * }
 * ```
 */
export interface ClientSecond {
  t: number;
  rejected: Partial<Record<TrafficClass, ReasonCounts>>;
  rejectedUnclassified?: ReasonCounts;
  /** The rejects again, by endpoint (k6's `name` tag); rejects without a name are in none. */
  rejectedByEndpoint?: Record<string, ReasonCounts>;
  staleReads: number;
  staleChecked: number;
  staleAgeMaxMs: number | null;
  droppedIterations: number;
  lateMs?: number | null;
}

/** "1800000000.123456": seconds since the epoch at µs precision (Java parses it as a double). */
function epochSeconds(us: number): string {
  const whole = Math.floor(us / 1e6);
  const frac = Math.round(us - whole * 1e6);
  return `${whole}.${String(frac).padStart(6, "0")}`;
}

/** The interval log text for the per-second data of `ingested`. */
export function formatHlog(ingested: Ingested): string {
  const out: string[] = [];
  const writer = new hdr.HistogramLogWriter((text) => {
    out.push(text);
  });
  const t0Us = ingested.t0Us ?? 0;
  writer.outputLogFormatVersion();
  writer.outputComment(
    `[StartTime: ${epochSeconds(t0Us)} (seconds since epoch), ${new Date(t0Us / 1000).toISOString()}]`,
  );
  writer.outputComment(`[BaseTime: ${epochSeconds(t0Us)} (seconds since epoch)]`);
  writer.outputComment(
    "stampede client latency: one interval per second and traffic class (Tag=<class>), values in µs; Tag=endpoint=<k6 name, percent-encoded>: the same requests by endpoint; Tag=<class>/<outcome> and Tag=outcome=<outcome> (served, policy, capacity, other): the same requests by outcome; Tag=stale_age: stale-read ages in ms",
  );
  // The csv this was read from was cut short: say so here too, so a report re-rendered from
  // these files alone (the csv pruned) still knows (`parseHlog` reads it back).
  for (const file of ingested.truncatedFiles ?? []) writer.outputComment(`${SOURCE_TRUNCATED} ${file}]`);
  writer.outputLegend();
  const scratch = latencyHistogram();
  const put = (sparse: SparseHistogram, tag: string, t: number) => {
    if (sparse.totalCount === 0) return;
    const h = sparse.toHistogram(scratch);
    h.tag = tag;
    // Interval_Max in ms for latencies (µs / 1000); stale ages are already ms.
    writer.outputIntervalHistogram(h, t, t + 1, tag === STALE_AGE_TAG ? 1 : 1000);
  };
  for (const t of [...ingested.seconds.keys()].sort((a, b) => a - b)) {
    const sec = ingested.seconds.get(t) as SecondTally;
    for (const cls of TRAFFIC_CLASSES) {
      const h = sec.byClass[cls];
      if (h !== undefined) put(h, cls, t);
    }
    if (sec.unclassifiedUs !== null) put(sec.unclassifiedUs, UNCLASSIFIED_TAG, t);
    for (const name of [...sec.byEndpoint.keys()].sort())
      put(sec.byEndpoint.get(name) as SparseHistogram, endpointTag(name), t);
    if (sec.staleAgeMs !== null) put(sec.staleAgeMs, STALE_AGE_TAG, t);
    for (const key of [...sec.byOutcome.keys()].sort())
      put(sec.byOutcome.get(key) as SparseHistogram, key, t);
    for (const [outcome, h] of Object.entries(outcomeTotals(sec.byOutcome)))
      put(h as SparseHistogram, OUTCOME_TAG_PREFIX + outcome, t);
  }
  return out.join("");
}

function nonEmpty(counts: ReasonCounts): boolean {
  return Object.values(counts).some((n) => (n ?? 0) !== 0);
}

/** client.jsonl text: a line for every second from 0 to the last one with data. */
export function formatClientJsonl(ingested: Ingested): string {
  const last = Math.max(-1, ...ingested.seconds.keys());
  const lines: string[] = [];
  for (let t = 0; t <= last; t++) {
    const sec = ingested.seconds.get(t) ?? newSecondTally();
    const rejected: ClientSecond["rejected"] = {};
    for (const cls of TRAFFIC_CLASSES) {
      const counts = sec.rejectedByClass[cls];
      if (counts !== undefined && nonEmpty(counts)) rejected[cls] = counts;
    }
    const byEndpoint: Record<string, ReasonCounts> = {};
    for (const name of [...sec.rejectedByEndpoint.keys()].sort()) {
      const counts = sec.rejectedByEndpoint.get(name) as ReasonCounts;
      if (nonEmpty(counts)) byEndpoint[name] = counts;
    }
    const line: ClientSecond = {
      t,
      rejected,
      ...(nonEmpty(sec.rejectedUnclassified) ? { rejectedUnclassified: sec.rejectedUnclassified } : {}),
      ...(Object.keys(byEndpoint).length > 0 ? { rejectedByEndpoint: byEndpoint } : {}),
      staleReads: sec.staleReads,
      staleChecked: sec.staleChecked,
      staleAgeMaxMs: sec.staleAgeMaxMs,
      droppedIterations: sec.droppedIterations,
    };
    lines.push(JSON.stringify(line));
  }
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

/** Writes latency.hlog, client.jsonl and latency.hgrm for `ingested` into the run folder. */
export async function writeIngested(runDir: string, ingested: Ingested): Promise<void> {
  await writeFile(join(runDir, HLOG_FILE), formatHlog(ingested));
  await writeFile(join(runDir, CLIENT_FILE), formatClientJsonl(ingested));
  await writeHgrmFiles(runDir, ingested);
}

/** latency.hgrm and latency-<class>.hgrm (for people; the k6 output extension writes the rest). */
export async function writeHgrmFiles(runDir: string, ingested: Ingested): Promise<void> {
  await writeFile(
    join(runDir, HGRM_FILE),
    ingested.overall.latencyUs.totalCount > 0
      ? ingested.overall.latencyUs.outputPercentileDistribution(5, 1000)
      : "# no request completed\n",
  );
  // One distribution per traffic class too (values in ms, as HdrHistogram's plotter expects).
  for (const [cls, tally] of Object.entries(ingested.byClass)) {
    if (tally === undefined || tally.latencyUs.totalCount === 0) continue;
    await writeFile(join(runDir, classHgrmFile(cls)), tally.latencyUs.outputPercentileDistribution(5, 1000));
  }
}

/** `latency-<class>.hgrm`: the percentile distribution of one traffic class. */
export function classHgrmFile(cls: string): string {
  return `latency-${cls}.hgrm`;
}

function isReasonCounts(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** The entries of a `{reason: count}` object; throws (naming `where`) when it is not one. */
function checkedReasonCounts(counts: unknown, where: string): Array<[RejectReason, number]> {
  if (!isReasonCounts(counts)) throw new Error(`${where}: expected {reason: count}`);
  return Object.entries(counts).map(([reason, n]) => {
    if (!(REJECT_REASONS as readonly string[]).includes(reason))
      throw new Error(`${where}: unknown reject reason "${reason}"`);
    if (typeof n !== "number" || !Number.isFinite(n)) throw new Error(`${where}.${reason}: not a number`);
    return [reason as RejectReason, n];
  });
}

function addReasonCounts(
  sec: SecondTally,
  cls: TrafficClass | undefined,
  counts: unknown,
  where: string,
): void {
  if (counts === undefined) return;
  for (const [reason, n] of checkedReasonCounts(counts, where)) recordReject(sec, cls, reason, n);
}

/**
 * Parses an interval log into per-second tallies; t0 from its StartTime (else BaseTime).
 * `sourceTruncated`: the sample files its `#[SourceTruncated: <file>]` comments name.
 */
export function parseHlog(
  text: string,
  seconds: Map<number, SecondTally> = new Map(),
  /** Added to every second: aligns another generator's log to the shared t0. */
  offsetS = 0,
): { t0Us: number | null; seconds: Map<number, SecondTally>; sourceTruncated: string[] } {
  const sourceTruncated: string[] = [];
  for (const m of text.matchAll(/^#\[SourceTruncated:\s*(.*?)\]\s*$/gm)) sourceTruncated.push(m[1] as string);
  const reader = new hdr.HistogramLogReader(text, 32);
  let t0Sec: number | null = null;
  for (;;) {
    const h = reader.nextIntervalHistogram();
    if (h === null) break;
    if (t0Sec === null) t0Sec = headerStartSec(reader);
    const t = Math.round(h.startTimeStampMsec / 1000 - t0Sec) + offsetS;
    if (h.totalCount === 0) continue;
    const sparse = new SparseHistogram();
    sparse.addHistogram(h);
    addTaggedInterval(secondTally(seconds, Math.max(0, t)), h.tag, sparse);
  }
  if (t0Sec === null) {
    const m = /^#\[StartTime:\s*([0-9.eE+-]+)/m.exec(text);
    t0Sec = m ? Number(m[1]) : null;
  }
  return {
    t0Us: t0Sec === null || !Number.isFinite(t0Sec) ? null : Math.round(t0Sec * 1e6),
    seconds,
    sourceTruncated,
  };
}

/** The log's t0 (s): its StartTime, else its BaseTime, else 0. */
function headerStartSec(reader: hdr.HistogramLogReader): number {
  // Set by the header lines the reader has passed by now; NaN/undefined when absent.
  const start = reader.startTimeSec as number | undefined;
  const base = reader.baseTimeSec as number | undefined;
  return Number.isFinite(start) ? (start as number) : Number.isFinite(base) ? (base as number) : 0;
}

/** Files one interval of the log under what its tag says it holds. */
function addTaggedInterval(sec: SecondTally, tag: string, sparse: SparseHistogram): void {
  const endpoint = endpointOfTag(tag);
  if (endpoint !== undefined) {
    // A breakdown of requests the class intervals already hold: not added to the total.
    const into = sec.byEndpoint.get(endpoint);
    if (into === undefined) sec.byEndpoint.set(endpoint, sparse);
    else into.add(sparse);
    return;
  }
  // Outcome intervals break down requests the class intervals already hold.
  if (readOutcomeInterval(sec.byOutcome, tag, sparse) !== undefined) return;
  if (tag === STALE_AGE_TAG) {
    sec.staleAgeMs = merged(sec.staleAgeMs, sparse);
    return;
  }
  if (tag === LATENESS_TAG) {
    sec.latenessUs = merged(sec.latenessUs ?? null, sparse);
    return;
  }
  if (tag.startsWith(CORRECTED_TAG_PREFIX)) {
    sec.correctedUs = merged(sec.correctedUs ?? null, sparse);
    return;
  }
  // Another breakdown (key=value) this reader does not know: not requests of their own.
  if (tag.includes("=")) return;
  sec.latencyUs.add(sparse);
  if ((TRAFFIC_CLASSES as readonly string[]).includes(tag)) {
    const cls = tag as TrafficClass;
    sec.byClass[cls] = merged(sec.byClass[cls] ?? null, sparse);
  } else {
    // Untagged or unknown tags: counted in the total, under no class.
    sec.unclassifiedUs = merged(sec.unclassifiedUs, sparse);
  }
}

/** `into` with `sparse` added (in place), or `sparse` itself when there is nothing yet. */
function merged(into: SparseHistogram | null, sparse: SparseHistogram): SparseHistogram {
  if (into === null) return sparse;
  into.add(sparse);
  return into;
}

/**
 * The complete lines of a text file: a last line without its "\n" was cut mid-write (the
 * writer ends every line), so it is dropped rather than misread, and reported.
 */
export function completeLines(text: string): { text: string; cut: boolean } {
  if (text === "" || text.endsWith("\n")) return { text, cut: false };
  return { text: text.slice(0, text.lastIndexOf("\n") + 1), cut: true };
}

/** Adds client.jsonl lines into per-second tallies. Throws on a malformed line (names it). */
export function parseClientJsonl(
  text: string,
  seconds: Map<number, SecondTally> = new Map(),
  /** Added to every second, as for `parseHlog`. */
  offsetS = 0,
): void {
  const lines = text.split("\n");
  lines.forEach((raw, i) => {
    if (raw.trim() === "") return;
    const where = `${CLIENT_FILE} line ${i + 1}`;
    let line: Partial<ClientSecond>;
    try {
      line = JSON.parse(raw) as Partial<ClientSecond>;
    } catch {
      throw new Error(`${where}: not JSON`);
    }
    if (typeof line.t !== "number" || !Number.isInteger(line.t) || line.t < 0)
      throw new Error(`${where}: t must be an integer >= 0`);
    const sec = secondTally(seconds, Math.max(0, line.t + offsetS));
    addClientRejects(sec, line, where);
    addClientCounters(sec, line);
  });
}

/** A client.jsonl line's rejects: by class, unclassified, and the per-endpoint breakdown. */
function addClientRejects(sec: SecondTally, line: Partial<ClientSecond>, where: string): void {
  const rejected = line.rejected ?? {};
  if (!isReasonCounts(rejected)) throw new Error(`${where}: rejected must be {class: {reason: count}}`);
  for (const [cls, counts] of Object.entries(rejected)) {
    const known = (TRAFFIC_CLASSES as readonly string[]).includes(cls) ? (cls as TrafficClass) : undefined;
    addReasonCounts(sec, known, counts, `${where}: rejected.${cls}`);
  }
  addReasonCounts(sec, undefined, line.rejectedUnclassified, `${where}: rejectedUnclassified`);
  const byEndpoint = line.rejectedByEndpoint ?? {};
  if (!isReasonCounts(byEndpoint))
    throw new Error(`${where}: rejectedByEndpoint must be {endpoint: {reason: count}}`);
  for (const [name, counts] of Object.entries(byEndpoint)) {
    const at = `${where}: rejectedByEndpoint.${name}`;
    // Only the endpoint's breakdown: these rejects are already counted under `rejected`.
    for (const [reason, n] of checkedReasonCounts(counts, at)) recordEndpointReject(sec, name, reason, n);
  }
}

/** A client.jsonl line's counters: stale reads, dropped iterations, the second's highest ages. */
function addClientCounters(sec: SecondTally, line: Partial<ClientSecond>): void {
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  sec.staleReads += num(line.staleReads);
  sec.staleChecked += num(line.staleChecked);
  sec.droppedIterations += num(line.droppedIterations);
  if (typeof line.staleAgeMaxMs === "number" && Number.isFinite(line.staleAgeMaxMs))
    sec.staleAgeMaxMs = Math.max(sec.staleAgeMaxMs ?? 0, line.staleAgeMaxMs);
  if (typeof line.lateMs === "number" && Number.isFinite(line.lateMs))
    sec.lateMsMax = Math.max(sec.lateMsMax ?? 0, line.lateMs);
}

/** `latency-<i>.hlog` of generator i (its counters are in `client-<i>.jsonl`). */
const GENERATOR_HLOG = /^latency-(\d+)\.hlog$/;

/** The run's interval logs with their client files: latency.hlog alone, else latency-<i>.hlog by i. */
export async function runHlogFiles(runDir: string): Promise<Array<{ hlog: string; client: string }>> {
  if (existsSync(join(runDir, HLOG_FILE))) return [{ hlog: HLOG_FILE, client: CLIENT_FILE }];
  return (await readdir(runDir))
    .map((f) => GENERATOR_HLOG.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map((m) => ({ hlog: m[0], client: `client-${m[1]}.jsonl` }));
}

/** StartTime (else BaseTime) of an interval log's header, unix µs; null when it has none. */
function headerT0Us(text: string): number | null {
  const m = /^#\[(?:StartTime|BaseTime):\s*([0-9.eE+-]+)/m.exec(text);
  const sec = m ? Number(m[1]) : Number.NaN;
  return Number.isFinite(sec) ? Math.round(sec * 1e6) : null;
}

/**
 * Per-second tallies of a run folder's client files. Several generators' files are merged
 * exactly (HDR `add`, counters summed): the first file's t0 is the shared one (as the csv path
 * takes k6-0's marker), and each other file's seconds move by its t0's distance from it, rounded
 * to whole seconds (k6 processes started together set up within milliseconds of each other).
 */
export async function readRunFiles(
  runDir: string,
): Promise<{ t0Us: number | null; seconds: Map<number, SecondTally>; truncatedFiles: string[] }> {
  const files = await runHlogFiles(runDir);
  if (files.length === 0) throw new Error(`no ${HLOG_FILE} (nor latency-<i>.hlog)`);
  const seconds = new Map<number, SecondTally>();
  const truncatedFiles: string[] = [];
  let sharedT0Us: number | null = null;
  for (const [i, f] of files.entries()) {
    const hlog = completeLines(await readFile(join(runDir, f.hlog), "utf8"));
    if (hlog.cut) truncatedFiles.push(f.hlog);
    const ownT0Us = headerT0Us(hlog.text);
    if (i === 0) sharedT0Us = ownT0Us;
    const offsetS = sharedT0Us === null || ownT0Us === null ? 0 : Math.round((ownT0Us - sharedT0Us) / 1e6);
    const parsed = parseHlog(hlog.text, seconds, offsetS);
    truncatedFiles.push(...parsed.sourceTruncated);
    if (i === 0 && sharedT0Us === null) sharedT0Us = parsed.t0Us;
    const clientPath = join(runDir, f.client);
    if (!existsSync(clientPath)) continue;
    const client = completeLines(await readFile(clientPath, "utf8"));
    if (client.cut) truncatedFiles.push(f.client);
    parseClientJsonl(client.text, seconds, offsetS);
  }
  return { t0Us: sharedT0Us, seconds, truncatedFiles };
}

/**
 * Reads latency.hlog (+ client.jsonl when present) of a run folder back into an `Ingested`,
 * rolled up exactly as `ingestK6Csv` does. t0 comes from the log's StartTime. A file whose last
 * line was cut mid-write is read up to that line and named in `truncatedFiles`.
 */
export async function readIngested(runDir: string, phases: readonly WallPhase[]): Promise<Ingested> {
  const { t0Us, seconds, truncatedFiles } = await readRunFiles(runDir);
  const ingested = rollUp(t0Us, seconds, phases);
  return truncatedFiles.length > 0 ? { ...ingested, truncatedFiles } : ingested;
}
