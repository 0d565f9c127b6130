import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import * as hdr from "hdr-histogram-js";
import { describe, expect, it } from "vitest";
import type { WallPhase } from "../../loadtests/vocabulary/runFolder.ts";
import {
  CLIENT_FILE,
  classHgrmFile,
  endpointOfTag,
  endpointTag,
  formatHlog,
  HGRM_FILE,
  HLOG_FILE,
  parseClientJsonl,
  parseHlog,
  readIngested,
  writeIngested,
} from "../../reports/hlog.ts";
import { ingestK6Csv, rollUp, type SecondTally } from "../../reports/ingest.ts";
import type { Summary } from "../../reports/model.ts";
import { renderRun } from "../../reports/report.ts";
import { latencyHistogram, SparseHistogram } from "../../reports/sparse.ts";
import { buildSummary, secondPoints } from "../../reports/summary.ts";
import { validate } from "./summarySchema.ts";

const HEADER =
  "metric_name,timestamp,metric_value,error_code,expected_response,method,name,scenario,status,extra_tags,metadata";
const T0 = 1_800_000_000_123_456; // unix µs, deliberately not on a whole ms

function row(metric: string, tUs: number, value: number, name: string, extra: string): string {
  const field = /[",\n]/.test(name) ? `"${name.replace(/"/g, '""')}"` : name;
  return `${metric},${T0 + tUs},${value.toFixed(6)},,true,GET,${field},order,200,${extra},`;
}

// Boundaries off the whole second: phases are attributed per second (by the second's middle).
const phases: WallPhase[] = [
  { name: "normal", startS: 0, endS: 1.5, fromMultiple: 1, toMultiple: 1 },
  { name: "burst", startS: 1.5, endS: 4, fromMultiple: 1, toMultiple: 100 },
];

const latenciesMs = Array.from({ length: 600 }, (_, i) => 0.2 + ((i * 37) % 250) * 1.7);
const CLASSES = ["class=position", "class=order", "class=depth", ""]; // "" = no class tag
/**
 * k6 `name` tags by request (loadtests/drillRequests.ts); the unclassified requests' name holds a comma,
 * a space, a percent sign and non-ASCII, which an HdrHistogram log tag cannot hold as they are.
 */
const ODD_ENDPOINT = "GET /x,y 100%é";
function endpointOf(i: number): string {
  switch (i % 4) {
    case 0:
      return "GET /fapi/v2/positionRisk";
    case 1:
      return i % 8 === 1 ? "POST /fapi/v1/order" : "DELETE /fapi/v1/order";
    case 2:
      return "GET /fapi/v1/depth";
    default:
      return ODD_ENDPOINT;
  }
}
const LINES = [
  row("http_req_duration", -50_000, 3, "setup", ""),
  `stampede_setup_done,${T0},1.000000,,,,,,,,`,
  ...latenciesMs.map((ms, i) =>
    row("http_req_duration", i * 6_000, ms, endpointOf(i), CLASSES[i % CLASSES.length] as string),
  ),
  row("stampede_rejects", 1_500_000, 1, "", "class=position&reason=rate_limited"),
  // Rejects tagged with their endpoint (k6 `name`) count per endpoint too.
  row("stampede_rejects", 2_600_000, 1, "POST /fapi/v1/order", "class=order&reason=overloaded"),
  row("stampede_rejects", 2_700_000, 1, "DELETE /fapi/v1/order", "class=order&reason=overloaded"),
  row("stampede_rejects", 3_200_000, 1, "", "reason=error"),
  row("stampede_stale_read", 2_800_000, 1, "", "class=position"),
  row("stampede_stale_read", 2_850_000, 1, "", "class=position"),
  row("stampede_stale_read", 2_900_000, 0, "", "class=position"),
  row("stampede_stale_read_age_ms", 2_800_000, 1234.5, "", "class=position"),
  row("stampede_stale_read_age_ms", 2_850_000, 87, "", "class=position"),
  `dropped_iterations,${T0 + 3_100_000},2.000000,,,,,position,,,`,
];

function runDir(): string {
  return mkdtempSync(join(tmpdir(), "stampede-hlog-"));
}

function writeCsv(dir: string, lines: string[] = LINES): string {
  const file = join(dir, "k6.csv.gz");
  writeFileSync(file, gzipSync(`${[HEADER, ...lines].join("\n")}\n`));
  return file;
}

function writeRunJson(dir: string, extra: Record<string, unknown> = {}): void {
  writeFileSync(
    join(dir, "run.json"),
    JSON.stringify({ id: "r1", plan: { phases, durationS: 4 }, ...extra }, null, 2),
  );
}

/** The fields that depend on client data only (strategy/simulated come from run.json). */
function clientPart(s: Summary): Partial<Summary> {
  const { strategy: _s, simulated: _m, ...rest } = s;
  return rest;
}

describe("SparseHistogram (per-second histograms)", () => {
  it("gives HdrHistogram's percentiles and merges into the same buckets", () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (const n of [1, 2, 7, 100, 5000]) {
      const sparse = new SparseHistogram();
      const ref = latencyHistogram();
      for (let i = 0; i < n; i++) {
        // Log-uniform 1 µs .. 100 s, some repeated counts.
        const v = Math.round(10 ** (rand() * 8));
        const c = 1 + Math.floor(rand() * 3);
        sparse.recordValueWithCount(v, c);
        ref.recordValueWithCount(v, c);
      }
      expect(sparse.totalCount).toBe(ref.totalCount);
      for (const p of [0, 1, 25, 50, 90, 99, 99.9, 99.99, 100])
        expect(sparse.getValueAtPercentile(p), `n=${n} p=${p}`).toBe(ref.getValueAtPercentile(p));
      const merged = latencyHistogram();
      sparse.addInto(merged);
      expect(hdr.encodeIntoCompressedBase64(merged)).toBe(hdr.encodeIntoCompressedBase64(ref));
      const back = new SparseHistogram();
      back.addHistogram(hdr.decodeFromCompressedBase64(hdr.encodeIntoCompressedBase64(ref)));
      for (const p of [50, 99, 100]) expect(back.getValueAtPercentile(p)).toBe(ref.getValueAtPercentile(p));
    }
    expect(new SparseHistogram().getValueAtPercentile(99)).toBe(0);
  });
});

describe("latency.hlog + client.jsonl", () => {
  it("round-trips: the summary and per-second points from the csv equal those from the written files", async () => {
    const dir = runDir();
    const fromCsv = await ingestK6Csv([writeCsv(dir)], phases);
    await writeIngested(dir, fromCsv);
    const fromFiles = await readIngested(dir, phases);

    expect(fromFiles.t0Us).toBe(T0);
    const a = buildSummary(fromCsv, phases, [], 4);
    const b = buildSummary(fromFiles, phases, [], 4);
    expect(b).toEqual(a);
    expect(secondPoints(fromFiles)).toEqual(secondPoints(fromCsv));
    // Sanity on the fixture itself: every kind of record made it through.
    expect(a.requests).toBe(600);
    expect(a.byClass.depth?.requests).toBe(150); // a quarter of the requests had no class tag
    expect(a.rejected.byReason).toEqual({ rate_limited: 1, overloaded: 2, error: 1 });
    expect(a.byClass.order?.rejected.byReason).toEqual({ overloaded: 2 });
    // Per endpoint (k6's name tag): the same requests again, split by name, names sorted.
    expect(Object.keys(a.byEndpoint ?? {})).toEqual([
      "DELETE /fapi/v1/order",
      "GET /fapi/v1/depth",
      "GET /fapi/v2/positionRisk",
      ODD_ENDPOINT,
      "POST /fapi/v1/order",
    ]);
    expect(Object.values(a.byEndpoint ?? {}).map((e) => e.requests)).toEqual([75, 150, 150, 150, 75]);
    expect(a.byEndpoint?.["POST /fapi/v1/order"]?.rejected).toEqual({
      total: 1,
      byReason: { overloaded: 1 },
    });
    expect(a.byEndpoint?.["GET /fapi/v2/positionRisk"]?.rejected).toEqual({ total: 0, byReason: {} });
    // Percentiles per endpoint come from the endpoint's merged histogram.
    const positionRisk = fromCsv.byEndpoint.get("GET /fapi/v2/positionRisk")?.latencyUs;
    expect(a.byEndpoint?.["GET /fapi/v2/positionRisk"]?.latencyMs.p99).toBe(
      Math.round(positionRisk?.getValueAtPercentile(99) ?? 0) / 1000,
    );
    expect(a.byEndpoint?.["GET /fapi/v2/positionRisk"]?.latencyMs).toEqual(a.byClass.position?.latencyMs);
    // A second belongs to the phase holding its middle: second 0 | seconds 1, 2, 3.
    const perSecond = secondPoints(fromCsv).map((s) => s.requests);
    expect(a.byPhase.map((p) => p.requests)).toEqual([perSecond[0], 600 - (perSecond[0] as number)]);
    expect(a.staleReads).toEqual({
      count: 2,
      checked: 3,
      rate: 0.667,
      ageMs: { p50: 87, p99: 1235, max: 1235 },
    });
    expect(a.droppedIterations).toBe(2);
    // Totals are merged from the per-second histograms, exactly.
    for (const p of [50, 99, 99.9, 100])
      expect(fromFiles.overall.latencyUs.getValueAtPercentile(p)).toBe(
        fromCsv.overall.latencyUs.getValueAtPercentile(p),
      );
    expect(fromFiles.byPhase[1]?.latencyUs.getValueAtPercentile(99)).toBe(
      fromCsv.byPhase[1]?.latencyUs.getValueAtPercentile(99),
    );
  });

  it("writes a standard interval log: StartTime header, one tagged 1 s interval per second and class", async () => {
    const dir = runDir();
    const ingested = await ingestK6Csv([writeCsv(dir)], phases);
    await writeIngested(dir, ingested);
    const text = readFileSync(join(dir, HLOG_FILE), "utf8");
    expect(text).toMatch(/^#\[Histogram log format version 1\.3\]\n/);
    expect(text).toContain(
      "#[StartTime: 1800000000.123456 (seconds since epoch), 2027-01-15T08:00:00.123Z]\n",
    );
    expect(text).toContain("#[BaseTime: 1800000000.123456 (seconds since epoch)]\n");
    expect(text).toContain(
      '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"\n',
    );
    const intervals = text.split("\n").filter((l) => l.startsWith("Tag="));
    // 4 seconds x (3 classes + unclassified) + 1 stale_age interval + 4 seconds x 5 endpoints,
    // + 4 seconds x (4 <class>/served + 1 outcome=served): every request here answered 200.
    expect(intervals).toHaveLength(57);
    expect(intervals.filter((l) => l.startsWith("Tag=order/served,"))).toHaveLength(4);
    expect(intervals.filter((l) => l.startsWith("Tag=outcome=served,"))).toHaveLength(4);
    expect(intervals.filter((l) => l.startsWith("Tag=endpoint=POST%20/fapi/v1/order,"))).toHaveLength(4);
    expect(intervals.filter((l) => l.startsWith("Tag=endpoint=GET%20/x%2Cy%20100%25%C3%A9,"))).toHaveLength(
      4,
    );
    // Every line splits into the same 5 fields, on commas as on Java's [ ,\r\n] delimiters.
    for (const l of intervals) {
      expect(l.split(",")).toHaveLength(5);
      expect(l.split(/[ ,\r\n]/)).toHaveLength(5);
    }
    expect(intervals.filter((l) => l.startsWith("Tag=order,"))).toHaveLength(4);
    expect(intervals.filter((l) => l.startsWith("Tag=stale_age,2.000,1.000,"))).toHaveLength(1);
    const first = intervals.find((l) => l.startsWith("Tag=position,0.000,1.000,")) ?? "";
    const [, , , max, b64] = first.split(",");
    const h = hdr.decodeFromCompressedBase64(b64 as string);
    expect(h.totalCount).toBe(ingested.seconds.get(0)?.byClass.position?.totalCount);
    // Interval_Max is in ms for the µs latencies.
    expect(Math.abs(Number(max) - h.maxValue / 1000) / Number(max)).toBeLessThan(0.002);

    // hdr-histogram-js's own reader sees the tags and times.
    const reader = new hdr.HistogramLogReader(text);
    const tags = new Set<string>();
    for (let x = reader.nextIntervalHistogram(); x !== null; x = reader.nextIntervalHistogram()) {
      tags.add(x.tag);
      expect((x.startTimeStampMsec * 1000 - T0) / 1e6).toBeCloseTo(
        Math.round((x.startTimeStampMsec * 1000 - T0) / 1e6),
        3,
      );
    }
    const endpointTags = [
      "endpoint=DELETE%20/fapi/v1/order",
      "endpoint=GET%20/fapi/v1/depth",
      "endpoint=GET%20/fapi/v2/positionRisk",
      "endpoint=GET%20/x%2Cy%20100%25%C3%A9",
      "endpoint=POST%20/fapi/v1/order",
    ];
    const outcomeTags = [
      "depth/served",
      "order/served",
      "outcome=served",
      "position/served",
      "unclassified/served",
    ];
    const allTags = ["depth", ...endpointTags, "order", "position", "stale_age", "unclassified"];
    expect([...tags].sort()).toEqual([...allTags, ...outcomeTags].sort());
    expect(hdr.listTags(text).sort()).toEqual([...allTags, ...outcomeTags].sort());

    const client = readFileSync(join(dir, CLIENT_FILE), "utf8").trim().split("\n");
    expect(client).toHaveLength(4);
    expect(JSON.parse(client[2] as string)).toEqual({
      t: 2,
      rejected: { order: { overloaded: 2 } },
      rejectedByEndpoint: {
        "DELETE /fapi/v1/order": { overloaded: 1 },
        "POST /fapi/v1/order": { overloaded: 1 },
      },
      staleReads: 2,
      staleChecked: 3,
      staleAgeMaxMs: 1234.5,
      droppedIterations: 0,
    });
    expect(JSON.parse(client[3] as string)).toMatchObject({
      rejectedUnclassified: { error: 1 },
      droppedIterations: 2,
    });
    expect(readFileSync(join(dir, HGRM_FILE), "utf8")).toMatch(/#\[Mean\s+=/);
    // One distribution per class with requests, whose total count is that class's.
    for (const [cls, tally] of Object.entries(ingested.byClass)) {
      const hgrm = readFileSync(join(dir, classHgrmFile(cls)), "utf8");
      expect(hgrm).toMatch(new RegExp(`Total count\\s+=\\s+${tally?.latencyUs.totalCount}\\]`));
    }
  });
});

describe("latency.hlog + client.jsonl: tags and reading back", () => {
  it("encodes endpoint names into tags HdrHistogram logs can hold, and decodes them back", () => {
    const names = [
      "POST /fapi/v1/order",
      "GET /x,y 100%é",
      "tab\there\r\nnewline",
      "emoji 🚀 and %25 literal",
      "a=b&c=d:e/f?g",
      "",
    ];
    for (const name of names) {
      const tag = endpointTag(name);
      expect(tag).toMatch(/^endpoint=[\x21-\x7e]*$/);
      expect(tag).not.toMatch(/[ ,\r\n\t]/);
      expect(endpointOfTag(tag)).toBe(name);
    }
    expect(endpointTag("POST /fapi/v1/order")).toBe("endpoint=POST%20/fapi/v1/order");
    expect(endpointOfTag("order")).toBeUndefined();
    expect(endpointOfTag("endpoint=bad%zz")).toBe("bad%zz"); // not ours: kept as it is
  });

  it("reads rejects by endpoint from client.jsonl without counting them twice", () => {
    const seconds = new Map<number, SecondTally>();
    parseClientJsonl(
      '{"t": 0, "rejected": {"order": {"rate_limited": 3}}, "rejectedByEndpoint": {"POST /fapi/v1/order": {"rate_limited": 3}}}\n',
      seconds,
    );
    const sec = seconds.get(0);
    expect(sec?.rejected).toEqual({ rate_limited: 3 });
    expect(sec?.rejectedByEndpoint.get("POST /fapi/v1/order")).toEqual({ rate_limited: 3 });
    expect(() => parseClientJsonl('{"t": 0, "rejectedByEndpoint": {"GET /x": {"nope": 1}}}')).toThrow(
      /rejectedByEndpoint\.GET \/x: unknown reject reason "nope"/,
    );
    expect(() => parseClientJsonl('{"t": 0, "rejectedByEndpoint": [1]}')).toThrow(
      /rejectedByEndpoint must be/,
    );
  });

  it("reads logs with absolute timestamps and untagged intervals, and rejects malformed client lines", () => {
    const h = hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 3_600_000_000,
      numberOfSignificantValueDigits: 3,
    });
    h.recordValue(5000);
    const lines: string[] = [];
    const w = new hdr.HistogramLogWriter((s) => lines.push(s));
    w.outputStartTime(1_700_000_000_000);
    w.outputIntervalHistogram(h, 1_700_000_003, 1_700_000_004); // absolute, no tag
    const { t0Us, seconds } = parseHlog(lines.join(""));
    expect(t0Us).toBe(1_700_000_000_000_000);
    expect(seconds.get(3)?.latencyUs.totalCount).toBe(1);
    expect(seconds.get(3)?.unclassifiedUs?.totalCount).toBe(1);
    expect(() => parseClientJsonl('{"t": 1, "rejected": {"order": {"nope": 1}}}\n')).toThrow(
      /line 1.*unknown reject reason "nope"/,
    );
    expect(() => parseClientJsonl('{"rejected": {}}')).toThrow(/t must be an integer/);
    // No data, no t0: still a valid (empty) log.
    expect(formatHlog(rollUp(null, new Map(), []))).toContain("#[StartTime: 0.000000 ");
  });
});

describe("renderRun on drill and simulated folders", () => {
  it("writes the intermediate files for a drill, and a folder with only those gives the same summary", async () => {
    const drill = runDir();
    writeCsv(drill);
    writeRunJson(drill, { strategy: "fixed" });
    const a = await renderRun(drill);
    for (const f of [HLOG_FILE, CLIENT_FILE, HGRM_FILE, "summary.json", "report.html"])
      expect(existsSync(join(drill, f)), f).toBe(true);

    const sim = runDir();
    copyFileSync(join(drill, HLOG_FILE), join(sim, HLOG_FILE));
    copyFileSync(join(drill, CLIENT_FILE), join(sim, CLIENT_FILE));
    writeRunJson(sim, { simulated: true, strategy: { name: "reactive" }, t0Ms: T0 / 1000 });
    const tsMs = (t: number) => Math.round(T0 / 1000) + (t + 1) * 1000;
    writeFileSync(
      join(sim, "timeline.jsonl"),
      [
        { tsMs: tsMs(0), tWallS: 1, queueDepth: 0, replicaLagMs: 5 }, // old-style line
        {
          tsMs: tsMs(1),
          tWallS: 2,
          tNaturalS: 120,
          costInstanceMinutes: { gateway: 8, read: 4 },
          events: [
            { atS: 100, kind: "scale-out", tier: "gateway", instances: 6, detail: "utilisation 0.93 > 0.6" },
          ],
        },
        {
          tsMs: tsMs(2),
          tWallS: 3,
          tNaturalS: 180,
          costInstanceMinutes: { gateway: 14.5, read: 6 },
          events: [{ atS: 170, kind: "instances-ready", tier: "gateway", instances: 6, detail: "+2 ready" }],
        },
      ]
        .map((l) => JSON.stringify(l))
        .join("\n"),
    );
    const b = await renderRun(sim);
    expect(clientPart({ ...b, cost: a.cost, events: a.events, capacity: a.capacity })).toEqual(clientPart(a));
    expect(b.simulated).toBe(true);
    // Both summary.json files hold to docs/summary.schema.json.
    expect(validate(a)).toEqual([]);
    expect(validate(JSON.parse(readFileSync(join(sim, "summary.json"), "utf8")))).toEqual([]);
    expect(a.byEndpoint).toEqual(b.byEndpoint);
    expect(b.strategy).toBe("reactive");
    expect(a.strategy).toBe("fixed");
    expect(b.cost).toEqual({ instanceMinutes: { gateway: 14.5, read: 6, total: 20.5 } });
    expect(a.cost).toEqual({ instanceMinutes: { gateway: 0, read: 0, total: 0 } });
    expect(b.events.map((e) => e.kind)).toEqual(["scale-out", "instances-ready"]);
    const html = readFileSync(join(sim, "report.html"), "utf8");
    expect(html).toContain('class="badge simulated"');
    // The inlined ECharts library mentions NaN in its own code; the page and the options must not.
    expect(html.replace(/<script>(?!\(function)[\s\S]*?<\/script>/, "")).not.toContain("NaN");
  });

  it("fails with E_REPORT_FAILED when a folder has neither k6 samples nor latency.hlog", async () => {
    const dir = runDir();
    mkdirSync(dir, { recursive: true });
    writeRunJson(dir);
    await expect(renderRun(dir)).rejects.toMatchObject({ code: "E_REPORT_FAILED" });
  });

  // HdrHistogram's own Java tools must read the log: run when the jar is on this machine.
  const jar = join(homedir(), ".m2/repository/org/hdrhistogram/HdrHistogram/2.2.2/HdrHistogram-2.2.2.jar");
  const hasJava = (() => {
    try {
      execFileSync("java", ["-version"], { stdio: "ignore" });
      return existsSync(jar);
    } catch {
      return false;
    }
  })();
  it.skipIf(!hasJava)("HistogramLogProcessor (Java HdrHistogram) reads the log per tag", async () => {
    const dir = runDir();
    const ingested = await ingestK6Csv([writeCsv(dir)], phases);
    await writeIngested(dir, ingested);
    const prefix = join(dir, "order");
    execFileSync(
      "java",
      [
        "-cp",
        jar,
        "org.HdrHistogram.HistogramLogProcessor",
        ...[
          "-i",
          join(dir, HLOG_FILE),
          "-tag",
          "order",
          "-csv",
          "-o",
          prefix,
          "-outputValueUnitRatio",
          "1000",
        ],
      ],
      { stdio: "ignore" },
    );
    // Interval file: "Timestamp","Int_Count",...,"Total_Count",...; timestamps end each interval.
    const rows = readFileSync(prefix, "utf8")
      .trim()
      .split("\n")
      .filter((l) => /^\d/.test(l))
      .map((l) => l.split(","));
    expect(rows.map((r) => Number(r[0]))).toEqual([1, 2, 3, 4]);
    const total = Number(rows[3]?.[5]);
    expect(total).toBe(ingested.byClass.order?.latencyUs.totalCount);

    // An endpoint's intervals, by their encoded tag (including the one whose name had a comma).
    for (const name of ["POST /fapi/v1/order", ODD_ENDPOINT]) {
      const out = join(dir, "endpoint");
      execFileSync(
        "java",
        ["-cp", jar, "org.HdrHistogram.HistogramLogProcessor", "-i", join(dir, HLOG_FILE)].concat([
          "-tag",
          endpointTag(name),
          "-csv",
          "-o",
          out,
        ]),
        { stdio: "ignore" },
      );
      const last = readFileSync(out, "utf8")
        .trim()
        .split("\n")
        .filter((l) => /^\d/.test(l))
        .at(-1)
        ?.split(",");
      expect(Number(last?.[5]), name).toBe(ingested.byEndpoint.get(name)?.latencyUs.totalCount);
    }
  });
});
