import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import * as hdr from "hdr-histogram-js";
import { describe, expect, it } from "vitest";
import type { WallPhase } from "../../loadtests/vocabulary/runFolder.ts";
import {
  REJECT_REASONS,
  type RejectReason,
  TRAFFIC_CLASSES,
  type TrafficClass,
} from "../../loadtests/vocabulary/traffic.ts";
import {
  type Ingested,
  ingestK6Csv,
  K6CsvIngest,
  recordLatency,
  recordReject,
  recordStaleAge,
  rollUp,
  type SecondTally,
  secondTally,
} from "../../reports/ingest.ts";
import { outcomeOfStatus, recordOutcome } from "../../reports/outcomes.ts";
import { bucketKey, latencyHistogram, type SparseHistogram } from "../../reports/sparse.ts";
import { buildSummary, secondPoints } from "../../reports/summary.ts";

const HEADER =
  "metric_name,timestamp,metric_value,error_code,expected_response,method,name,scenario,status,extra_tags,metadata";
const T0 = 1_800_000_000_000_000; // unix µs

function row(
  metric: string,
  tUs: number,
  value: number,
  name: string,
  extra: string,
  status = "200",
): string {
  return `${metric},${T0 + tUs},${value.toFixed(6)},,true,GET,${name},order,${status},${extra},`;
}

const phases: WallPhase[] = [
  { name: "normal", startS: 0, endS: 2, fromMultiple: 1, toMultiple: 1 },
  { name: "burst", startS: 2, endS: 4, fromMultiple: 100, toMultiple: 100 },
];

function writeCsv(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "stampede-ingest-"));
  const file = join(dir, "k6.csv.gz");
  writeFileSync(file, gzipSync(`${[HEADER, ...lines].join("\n")}\n`));
  return file;
}

describe("ingest of k6 csv.gz into HDR histograms", () => {
  const latenciesMs = Array.from({ length: 400 }, (_, i) => 1 + ((i * 37) % 250));
  const lines = [
    row("http_req_duration", -50_000, 3, "setup", ""), // setup traffic is not drill traffic
    `stampede_setup_done,${T0},1.000000,,,,,,,,`,
    ...latenciesMs.map((ms, i) =>
      row(
        "http_req_duration",
        i * 10_000,
        ms,
        "GET /fapi/v2/positionRisk",
        i % 2 === 0 ? "class=position" : "class=order",
      ),
    ),
    row("http_req_blocked", 5_000, 0.1, "GET /fapi/v1/depth", "class=depth"),
    row("stampede_rejects", 2_500_000, 1, "", "class=position&reason=rate_limited"),
    row("stampede_rejects", 2_600_000, 1, "", "class=order&reason=overloaded"),
    row("stampede_rejects", 2_700_000, 1, "", "class=order&reason=overloaded"),
    row("stampede_stale_read", 2_800_000, 1, "", "class=position"),
    row("stampede_stale_read", 2_900_000, 0, "", "class=position"),
    row("stampede_stale_read_age_ms", 2_800_000, 1234, "", "class=position"),
    `dropped_iterations,${T0 + 3_100_000},1.000000,,,,,position,,,`,
  ];

  it("counts every drill request once and matches an HDR histogram of the same values", async () => {
    const ingested = await ingestK6Csv([writeCsv(lines)], phases);
    expect(ingested.t0Us).toBe(T0);
    expect(ingested.overall.latencyUs.totalCount).toBe(400);
    const reference = hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 3_600_000_000,
      numberOfSignificantValueDigits: 3,
    });
    for (const ms of latenciesMs) reference.recordValue(ms * 1000);
    for (const p of [50, 90, 99, 99.9, 100]) {
      expect(ingested.overall.latencyUs.getValueAtPercentile(p)).toBe(reference.getValueAtPercentile(p));
    }
    expect(ingested.byClass.position?.latencyUs.totalCount).toBe(200);
    expect(ingested.rowsByMetric.get("http_req_duration")).toBe(401);
  });

  it("summarises per class, per phase, per second; merges per-second histograms into the totals exactly", async () => {
    const ingested = await ingestK6Csv([writeCsv(lines)], phases);
    const summary = buildSummary(
      ingested,
      phases,
      [
        { tsMs: 0, k6CpuCores: 0.5, exchangeCpuCores: 0.2, k6RssMb: 300 },
        { tsMs: 1_000, k6CpuCores: 1.5, exchangeCpuCores: 0.4, k6RssMb: 350 },
      ],
      4,
    );
    expect(summary.requests).toBe(400);
    expect(summary.byPhase.map((p) => p.coverage)).toEqual(["full", "full"]);
    for (const l of [summary.latencyMs, ...summary.byPhase.flatMap((p) => p.latencyMs ?? [])]) {
      expect(l.p50).toBeLessThanOrEqual(l.p90);
      expect(l.p99).toBeLessThanOrEqual(l.p999);
      expect(l.p999).toBeLessThanOrEqual(l.max);
    }
    // policy/capacity come from the statuses (all 200 here), the reasons from stampede_rejects.
    expect(summary.rejected).toMatchObject({
      total: 3,
      rate: 0.008,
      byReason: { rate_limited: 1, overloaded: 2 },
    });
    expect(summary.byClass.order?.rejected.byReason).toEqual({ overloaded: 2 });
    expect(summary.byPhase.map((p) => [p.name, p.requests])).toEqual([
      ["normal", 200],
      ["burst", 200],
    ]);
    expect(summary.staleReads).toEqual({
      count: 1,
      checked: 2,
      rate: 0.5,
      ageMs: { p50: 1234, p99: 1234, max: 1234 },
    });
    expect(summary.droppedIterations).toBe(1);
    expect(summary.generator).toMatchObject({
      k6CpuCores: 1,
      k6CpuCoresMax: 1.5,
      exchangeCpuCoresMax: 0.4,
      k6RssMbMax: 350,
    });
    expect(summary.generator.bottleneck).toBe(true);
    expect(summary.generator.warnings[0]).toMatch(/dropped 1 iterations/);
    // 1.5 + 0.4 cores is 95% of the two cores: the machine, so maybe the generator, was saturated.
    expect(summary.generator.warnings[1]).toMatch(/CPU was saturated/);
    expect(summary.generator.warnings).toHaveLength(2);

    const seconds = secondPoints(ingested);
    expect(seconds.map((s) => s.requests)).toEqual([100, 100, 100, 100]);
    const merged = hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 3_600_000_000,
      numberOfSignificantValueDigits: 3,
    });
    for (const s of ingested.seconds.values()) s.latencyUs.addInto(merged);
    expect(merged.getValueAtPercentile(99)).toBe(ingested.overall.latencyUs.getValueAtPercentile(99));
    expect(seconds[2]?.rejectedByReason).toEqual({ rate_limited: 1, overloaded: 2 });
    expect(seconds[2]?.staleAgeMaxMs).toBe(1234);
  });

  it("survives a truncated gzip (a run killed mid-write) and keeps what was readable", async () => {
    const file = writeCsv(lines);
    const { readFileSync } = await import("node:fs");
    const bytes = readFileSync(file);
    expect((await ingestK6Csv([file], phases)).truncatedFiles).toBeUndefined();
    writeFileSync(file, bytes.subarray(0, bytes.length - 40));
    const ingested = await ingestK6Csv([file], phases);
    expect(ingested.overall.latencyUs.totalCount).toBeGreaterThan(300);
    // Read as far as it goes, and said so (the run is then not complete).
    expect(ingested.truncatedFiles).toEqual(["k6.csv.gz"]);
  });
});

// ---------------------------------------------------------------------------------------------
// The byte-level fast path against a plain string parser of the same semantics.
// ---------------------------------------------------------------------------------------------

/** Fields of one CSV record: quotes toggle quoting anywhere, "" inside quotes is a quote. */
function refFields(record: string): string[] {
  const out: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < record.length; i++) {
    const ch = record[i];
    if (ch === '"') {
      if (quoted && record[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = !quoted;
    } else if (ch === "," && !quoted) {
      out.push(field);
      field = "";
    } else field += ch;
  }
  out.push(field);
  return out;
}

/** Records of a whole file: "\n" outside quotes ends one, a trailing "\r" is dropped, an unterminated last one too. */
function refRecords(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') quoted = !quoted;
    else if (text[i] === "\n" && !quoted) {
      let rec = text.slice(start, i);
      if (rec.endsWith("\r")) rec = rec.slice(0, -1);
      out.push(rec);
      start = i + 1;
    }
  }
  return out;
}

function refTag(extra: string, key: string): string | undefined {
  for (const pair of extra.split("&")) {
    const eq = pair.indexOf("=");
    if (eq > 0 && pair.slice(0, eq) === key) return pair.slice(eq + 1);
  }
  return undefined;
}

/** The reference: whole files as strings, the rules of reports/ingest.ts spelled out plainly. */
function referenceIngest(files: Uint8Array[], phases: readonly WallPhase[]): Ingested {
  const seconds = new Map<number, SecondTally>();
  const rowsByMetric = new Map<string, number>();
  let t0: number | null = null;
  let held: string[][] = [];
  let col: Map<string, number> = new Map();
  const field = (row: string[], name: string) => row[col.get(name) ?? -1];
  const record = (row: string[]) => {
    const metric = row[0] as string;
    const tRelS = (Number(field(row, "timestamp")) - (t0 as number)) / 1e6;
    const sec = secondTally(seconds, Math.max(0, Math.floor(tRelS)));
    const value = Number(field(row, "metric_value"));
    const extra = field(row, "extra_tags") ?? "";
    const c = refTag(extra, "class");
    const cls = (TRAFFIC_CLASSES as readonly string[]).includes(c as string)
      ? (c as TrafficClass)
      : undefined;
    const name = field(row, "name");
    const endpoint = name === undefined || name === "" ? undefined : name; // k6's `name` tag
    if (metric === "http_req_duration") {
      if (name !== "setup") {
        recordLatency(sec, cls, value * 1000, 1, endpoint);
        // The outcome comes from the status column; a row without a numeric status has none.
        const status = field(row, "status");
        if (status !== undefined && status !== "" && Number.isFinite(Number(status)))
          recordOutcome(sec.byOutcome, cls, outcomeOfStatus(Number(status)), value * 1000);
      }
    } else if (metric === "stampede_rejects") {
      const reason = refTag(extra, "reason");
      if ((REJECT_REASONS as readonly string[]).includes(reason as string))
        recordReject(sec, cls, reason as RejectReason, value, endpoint);
    } else if (metric === "stampede_stale_read") {
      sec.staleChecked++;
      if (value > 0) sec.staleReads++;
    } else if (metric === "stampede_stale_read_age_ms") recordStaleAge(sec, value);
    else if (metric === "dropped_iterations") sec.droppedIterations += value;
  };
  const wanted = [
    "http_req_duration",
    "stampede_rejects",
    "stampede_stale_read",
    "stampede_stale_read_age_ms",
  ];
  wanted.push("dropped_iterations");
  for (const bytes of files) {
    let header = false;
    for (const rec of refRecords(Buffer.from(bytes).toString("utf8"))) {
      if (rec === "") continue;
      const row = refFields(rec);
      if (!header) {
        header = true;
        col = new Map(row.map((name, i) => [name, i]));
        continue;
      }
      const metric = row[0] as string;
      rowsByMetric.set(metric, (rowsByMetric.get(metric) ?? 0) + 1);
      if (metric === "stampede_setup_done") {
        t0 ??= Number(field(row, "timestamp"));
        for (const h of held) record(h);
        held = [];
      } else if (wanted.includes(metric)) {
        if (t0 === null) held.push(row);
        else record(row);
      }
    }
    if (held.length > 0) {
      t0 = Math.min(Number.POSITIVE_INFINITY, ...held.map((h) => Number(field(h, "timestamp"))));
      for (const h of held) record(h);
      held = [];
    }
  }
  return rollUp(t0, seconds, phases, rowsByMetric);
}

/** The fast path fed in pieces cut at `cuts` (fractions of each file). */
function fastIngest(files: Uint8Array[], phases: readonly WallPhase[], cuts: number[] = []): Ingested {
  const ingest = new K6CsvIngest();
  for (const bytes of files) {
    ingest.beginFile();
    const at = [...new Set(cuts.map((f) => Math.floor(f * bytes.length)))].sort((a, b) => a - b);
    let from = 0;
    for (const to of [...at, bytes.length]) {
      ingest.push(bytes.subarray(from, to));
      from = to;
    }
    ingest.endFile();
  }
  return ingest.finish(phases);
}

/** Seconds as plain data (histograms as sorted buckets; their percentile cache left out). */
function canon(seconds: Map<number, SecondTally>): unknown {
  const h = (x: SparseHistogram | null | undefined) =>
    x == null
      ? x
      : {
          buckets: [...(x as unknown as { counts: Map<number, number> }).counts].sort((a, b) => a[0] - b[0]),
          totalCount: x.totalCount,
          maxValue: x.maxValue,
        };
  return [...seconds]
    .sort((a, b) => a[0] - b[0])
    .map(([t, s]) => ({
      ...s,
      t,
      latencyUs: h(s.latencyUs),
      unclassifiedUs: h(s.unclassifiedUs),
      staleAgeMs: h(s.staleAgeMs),
      byClass: Object.fromEntries(Object.entries(s.byClass).map(([c, x]) => [c, h(x)])),
      byEndpoint: Object.fromEntries([...s.byEndpoint].map(([e, x]) => [e, h(x)])),
    }));
}

function expectSame(fast: Ingested, ref: Ingested, phases: readonly WallPhase[]): void {
  expect(fast.t0Us).toEqual(ref.t0Us);
  expect(fast.rowsByMetric).toEqual(ref.rowsByMetric);
  expect([...fast.seconds.keys()].sort()).toEqual([...ref.seconds.keys()].sort());
  expect(canon(fast.seconds)).toEqual(canon(ref.seconds));
  expect(secondPoints(fast)).toEqual(secondPoints(ref));
  expect(buildSummary(fast, phases, [], 4)).toEqual(buildSummary(ref, phases, [], 4));
}

const utf8 = (s: string) => new Uint8Array(Buffer.from(s, "utf8"));

describe("k6 csv fast path: edge cases", () => {
  const body = [
    `stampede_setup_done,${T0},1.000000,,,,,,,,`,
    row("http_req_duration", 100_000, 12.5, "GET /x", "class=order"),
    row("http_req_blocked", 100_000, 0.1, "GET /x", "class=order"),
    row("stampede_rejects", 1_200_000, 1, "", "reason=rate_limited&class=depth"),
    row("stampede_stale_read", 1_300_000, 1, "", "class=position"),
    row("stampede_stale_read_age_ms", 1_300_000, 250, "", "class=position"),
    row("http_req_duration", 2_500_000, 40, "GET /y", "class=position"),
  ];
  const plain = `${[HEADER, ...body].join("\n")}\n`;

  it("reads CRLF records like LF ones", () => {
    const crlf = plain.replaceAll("\n", "\r\n");
    const a = fastIngest([utf8(crlf)], phases);
    expectSame(a, fastIngest([utf8(plain)], phases), phases);
    expect(a.overall.latencyUs.totalCount).toBe(2);
    expect(a.overall.rejected).toEqual({ rate_limited: 1 });
    expectSame(a, referenceIngest([utf8(crlf)], phases), phases);
  });

  it("reads quoted fields: commas, quotes and newlines inside quotes", () => {
    const lines = [
      HEADER,
      `stampede_setup_done,${T0},1.000000,,,,,,,,`,
      `http_req_duration,${T0 + 10},"3.500000",,true,GET,"GET /a,b",order,200,class=order,`,
      `http_req_duration,${T0 + 20},4.000000,,true,GET,"GET ""quoted""\nname",order,200,class=depth,"{""a"":1}"`,
      `http_req_duration,${T0 + 30},5.000000,,true,GET,"setup",order,200,class=order,`,
      `stampede_rejects,${T0 + 40},1.000000,,,,,order,,"class=position&reason=timeout&note=a,b",`,
      `"http_req_blocked",${T0 + 50},1.000000,,,,,,,,`,
    ];
    const bytes = utf8(`${lines.join("\n")}\n`);
    const a = fastIngest([bytes], phases);
    expect(a.overall.latencyUs.totalCount).toBe(2);
    expect(a.byClass.order?.latencyUs.totalCount).toBe(1);
    expect(a.byClass.depth?.latencyUs.totalCount).toBe(1);
    expect(a.byClass.position?.rejected).toEqual({ timeout: 1 });
    expect(a.rowsByMetric.get("http_req_blocked")).toBe(1);
    expect(a.rowsByMetric.get("http_req_duration")).toBe(3);
    expectSame(a, referenceIngest([bytes], phases), phases);
    for (let size = 1; size <= 9; size++) {
      const cuts = Array.from(
        { length: Math.ceil(bytes.length / size) },
        (_, i) => (i * size) / bytes.length,
      );
      expectSame(fastIngest([bytes], phases, cuts), a, phases);
    }
  });

  it("drops a truncated last record, whatever the cut", () => {
    const full = utf8(plain);
    const whole = fastIngest([full], phases);
    const lastStart = plain.lastIndexOf("\n", plain.length - 2) + 1;
    for (let cut = lastStart; cut < full.length; cut++) {
      const a = fastIngest([full.subarray(0, cut)], phases);
      expect(a.overall.latencyUs.totalCount).toBe(1); // the 40 ms request of the last line is gone
      expect(a.rowsByMetric.get("http_req_duration")).toBe(1);
      expect(a.overall.rejected).toEqual(whole.overall.rejected);
    }
  });

  it("gives the same result for every chunk size, records split across chunks", async () => {
    const bytes = utf8(plain);
    const whole = fastIngest([bytes], phases);
    for (let size = 1; size <= 17; size++) {
      const cuts = Array.from(
        { length: Math.ceil(bytes.length / size) },
        (_, i) => (i * size) / bytes.length,
      );
      expectSame(fastIngest([bytes], phases, cuts), whole, phases);
    }
    // Through gunzip with the smallest chunks zlib allows.
    const gz = writeCsv(body);
    expectSame(await ingestK6Csv([gz], phases, { chunkBytes: 64 }), whole, phases);
  });

  it("holds rows before the start marker and records them from t0; without a marker starts at the first sample", () => {
    const early = [
      row("http_req_duration", -30_000, 2, "setup", ""),
      row("http_req_duration", 1_500_000, 7, "GET /x", "class=order"), // logged before the marker
      row("stampede_rejects", 1_600_000, 1, "", "class=order&reason=overloaded"),
    ];
    const withMarker = utf8(`${[HEADER, ...early, ...body].join("\n")}\n`);
    const a = fastIngest([withMarker], phases);
    expect(a.t0Us).toBe(T0);
    expect(a.overall.latencyUs.totalCount).toBe(3);
    expect(secondPoints(a)[1]?.requests).toBe(1);
    expect(a.overall.rejected).toEqual({ overloaded: 1, rate_limited: 1 });
    expectSame(a, referenceIngest([withMarker], phases), phases);

    const noMarker = utf8(`${[HEADER, ...early.slice(1), ...body.slice(1)].join("\n")}\n`);
    const b = fastIngest([noMarker], phases);
    expect(b.t0Us).toBe(T0 + 100_000);
    expect(b.overall.latencyUs.totalCount).toBe(3);
    expectSame(b, referenceIngest([noMarker], phases), phases);
  });

  it("counts unknown metrics and blank lines do not count", () => {
    const lines = [
      HEADER,
      "",
      `stampede_setup_done,${T0},1.000000,,,,,,,,`,
      `my_custom_trend,${T0 + 1},3.000000,,,,,,,,`,
      `métrique_ünïcode,${T0 + 2},3.000000,,,,,,,,`,
      "no_comma_at_all",
      "\r",
      `http_req_duration_x,${T0 + 3},3.000000,,true,GET,GET /x,order,200,class=order,`,
      `http_req_duratio,${T0 + 3},3.000000,,true,GET,GET /x,order,200,class=order,`,
      row("http_req_duration", 10, 1, "GET /x", "klass=order&class=&class=order"),
    ];
    const bytes = utf8(`${lines.join("\n")}\n`);
    const a = fastIngest([bytes], phases);
    expect(Object.fromEntries(a.rowsByMetric)).toEqual({
      stampede_setup_done: 1,
      my_custom_trend: 1,
      métrique_ünïcode: 1,
      no_comma_at_all: 1,
      http_req_duration_x: 1,
      http_req_duratio: 1,
      http_req_duration: 1,
    });
    expect(a.overall.latencyUs.totalCount).toBe(1);
    expect(a.byClass.order).toBeUndefined(); // the first class= pair wins, and it is empty
    expect([...a.seconds.values()][0]?.unclassifiedUs?.totalCount).toBe(1);
    expectSame(a, referenceIngest([bytes], phases), phases);
  });

  it("buckets values like HdrHistogram (bucketKey = lowestEquivalentValue)", () => {
    const ref = latencyHistogram() as unknown as hdr.JsHistogram;
    const probes = [
      1,
      2,
      2047,
      2048,
      2049,
      4095,
      4096,
      4097,
      1e6,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 31 + 1,
      3_600_000_000,
    ];
    for (let k = 1; k < 32; k++) probes.push(2 ** k - 1, 2 ** k, 2 ** k + 1);
    for (const v of probes) expect(bucketKey(v)).toBe(ref.lowestEquivalentValue(v));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3_600_000_000 }),
        (v) => bucketKey(v) === ref.lowestEquivalentValue(v),
      ),
    );
  });
});

describe("k6 csv fast path equals the reference parse (property)", () => {
  const metrics = fc.constantFrom(
    "http_req_duration",
    "http_req_duration",
    "stampede_rejects",
    "stampede_stale_read",
    "stampede_stale_read_age_ms",
    "dropped_iterations",
    "stampede_setup_done",
    "http_reqs",
    "http_req_waiting",
    "iterations",
    "custom_é",
    "",
  );
  const numberText = fc.oneof(
    fc.double({ min: -10, max: 5000, noNaN: true }).map((x) => x.toFixed(6)),
    fc.integer({ min: 0, max: 3000 }).map(String),
    fc.constantFrom(
      "",
      ".",
      "-",
      "-.",
      "+1",
      "1e3",
      " 7",
      "abc",
      "-0",
      ".5",
      "5.",
      "0x10",
      "12345678901234567890.5",
      '"2.5"',
    ),
  );
  // Timestamps near T0 or NaN ones (an empty one would be 0: a t0 of 1970 makes 1.8e9 seconds).
  const tsText = fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: -2_000_000, max: 4_500_000 }).map((d) => String(T0 + d)) },
    { weight: 1, arbitrary: fc.constantFrom("x", `"${T0}"`, `${T0}.5`, ` ${T0}`) },
  );
  const tag = fc.oneof(
    fc.constantFrom(...TRAFFIC_CLASSES, "", "bogus").map((c) => `class=${c}`),
    fc.constantFrom(...REJECT_REASONS, "nope").map((r) => `reason=${r}`),
    fc.constantFrom("class", "=order", "x=1", "reason"),
  );
  const extraText = fc.oneof(
    { weight: 6, arbitrary: fc.array(tag, { maxLength: 3 }).map((t) => t.join("&")) },
    { weight: 1, arbitrary: fc.array(tag, { maxLength: 3 }).map((t) => `"${t.join("&")},z=1"`) },
  );
  const nameText = fc.constantFrom("GET /x", "setup", '"setup"', '"GET /a,b"', '"multi\nline ""q"""', "");
  const record = fc
    .tuple(metrics, tsText, numberText, nameText, extraText, fc.boolean())
    .map(([m, ts, v, name, extra, short]) =>
      short ? `${m},${ts},${v}` : `${m},${ts},${v},,true,GET,${name},order,200,${extra},`,
    );
  const header = fc.constantFrom(
    HEADER,
    "metric_name,timestamp,metric_value,name,extra_tags",
    "metric_name,timestamp,metric_value,error_code,expected_response,method,name,scenario,status,extra_tags,metadata,timestamp",
    "metric_name,metric_value",
  );
  const file = fc
    .tuple(
      header,
      fc.array(fc.oneof({ weight: 20, arbitrary: record }, { weight: 1, arbitrary: fc.constant("") })),
      fc.boolean(),
      fc.nat(20),
    )
    .map(([h, records, crlf, cut]) => {
      const eol = crlf ? "\r\n" : "\n";
      const text = `${[h, ...records].join(eol)}${eol}`;
      return utf8(cut < 3 ? text.slice(0, Math.max(0, text.length - 1 - cut * 7)) : text);
    });

  it("gives the same seconds, counters and summary on random files, chunked at random", () => {
    fc.assert(
      fc.property(
        fc.array(file, { minLength: 1, maxLength: 2 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
        (files, cuts) => {
          const ref = referenceIngest(files, phases);
          expectSame(fastIngest(files, phases, cuts), ref, phases);
          expectSame(fastIngest(files, phases), ref, phases);
        },
      ),
      { numRuns: 300 },
    );
  });
});
