import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { WallPhase } from "../../loadtests/vocabulary/runFolder.ts";
import { ingestK6Csv } from "../../reports/ingest.ts";
import { buildSummary, secondPoints } from "../../reports/summary.ts";
import { executionSegments } from "../../scripts/drill.ts";

/**
 * `drill --generators N` and k6-operator runners write one k6 csv per process; the reporter
 * merges them (HDR add, counts summed). Splitting the same samples across files must not change
 * a single figure of the summary.
 */

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
  { name: "burst", startS: 2, endS: 5, fromMultiple: 100, toMultiple: 100 },
];

const CLASSES = ["order", "position", "depth"] as const;
const ENDPOINTS = ["POST /fapi/v1/order", "GET /fapi/v2/positionRisk", "GET /fapi/v1/depth"] as const;

/** A drill's worth of samples: latencies, sub-metrics, rejects by reason, stale reads, drops. */
function samples(): string[] {
  const lines: string[] = [];
  for (let i = 0; i < 900; i++) {
    const c = i % 3;
    const tUs = i * 5_000 + ((i * 7919) % 4_000);
    const status = i % 17 === 0 ? "429" : i % 23 === 0 ? "503" : "200";
    lines.push(
      row(
        "http_req_duration",
        tUs,
        0.3 + ((i * 37) % 900) * 0.731,
        ENDPOINTS[c] as string,
        `class=${CLASSES[c]}`,
        status,
      ),
    );
    lines.push(row("http_req_waiting", tUs, 0.2, ENDPOINTS[c] as string, `class=${CLASSES[c]}`, status));
    if (status === "429")
      lines.push(
        row("stampede_rejects", tUs, 1, ENDPOINTS[c] as string, `class=${CLASSES[c]}&reason=rate_limited`),
      );
    if (status === "503")
      lines.push(
        row("stampede_rejects", tUs, 1, ENDPOINTS[c] as string, `class=${CLASSES[c]}&reason=overloaded`),
      );
    if (c === 1) {
      lines.push(row("stampede_stale_read", tUs, i % 5 === 0 ? 1 : 0, "", "class=position"));
      if (i % 5 === 0)
        lines.push(row("stampede_stale_read_age_ms", tUs, 10 + (i % 400), "", "class=position"));
    }
    if (i % 97 === 0) lines.push(`dropped_iterations,${T0 + tUs},1.000000,,,,,${CLASSES[c]},,,`);
  }
  return lines;
}

function marker(tUs: number): string {
  return `stampede_setup_done,${T0 + tUs},1.000000,,,,,,,,`;
}

function setupRow(tUs: number): string {
  return row("http_req_duration", tUs, 3, "setup", "class=setup");
}

function writeFiles(files: string[][]): string[] {
  const dir = mkdtempSync(join(tmpdir(), "stampede-generators-"));
  return files.map((lines, i) => {
    const name = files.length === 1 ? "k6.csv.gz" : `k6-${i}.csv.gz`;
    const path = join(dir, name);
    writeFileSync(path, gzipSync(`${[HEADER, ...lines].join("\n")}\n`));
    return path;
  });
}

async function summaryOf(paths: string[]) {
  const ingested = await ingestK6Csv(paths, phases);
  const seconds = secondPoints(ingested);
  return {
    t0Us: ingested.t0Us,
    summary: buildSummary(ingested, phases, [], seconds.length),
    seconds,
    rows: Object.fromEntries([...ingested.rowsByMetric].sort()),
  };
}

describe("many generators: merged statistics equal one file's", () => {
  const body = samples();
  const one = [setupRow(-40_000), marker(0), ...body];

  it("splits by contiguous rows into 2 and 3 files", async () => {
    const reference = await summaryOf(writeFiles([one]));
    expect(reference.summary.requests).toBe(900);
    for (const n of [2, 3]) {
      const size = Math.ceil(one.length / n);
      const parts = Array.from({ length: n }, (_, i) => one.slice(i * size, (i + 1) * size));
      expect(await summaryOf(writeFiles(parts))).toStrictEqual(reference);
    }
  });

  it("splits round-robin, each file with its own setup() and a later marker; t0 is the first generator's", async () => {
    const reference = await summaryOf(writeFiles([one]));
    for (const n of [2, 3]) {
      // Generator i ran its own setup() and wrote its own marker, a few ms after generator 0's.
      const parts = Array.from({ length: n }, (_, i) => [setupRow(-40_000 + i * 1_000), marker(i * 3_000)]);
      body.forEach((line, j) => {
        parts[j % n]?.push(line);
      });
      const paths = writeFiles(parts);
      const merged = await summaryOf(paths);
      expect(merged.t0Us).toBe(T0);
      // The extra markers are counted as rows, nothing else differs.
      expect(merged.rows.stampede_setup_done).toBe(n);
      expect(merged.rows.http_req_duration).toBe((reference.rows.http_req_duration ?? 0) + n - 1);
      const strip = (s: typeof merged) => ({
        ...s,
        rows: { ...s.rows, stampede_setup_done: 0, http_req_duration: 0 },
      });
      expect(strip(merged)).toStrictEqual(strip(reference));
      // Whatever order the directory listing gives, generator 0's marker is t0.
      expect(strip(await summaryOf([...paths].reverse()))).toStrictEqual(strip(reference));
    }
  });
});

describe("execution segments", () => {
  it("covers 0..1 with N equal segments and one shared sequence", () => {
    expect(executionSegments(1)).toEqual([]);
    expect(executionSegments(2)).toEqual([
      { segment: "0:1/2", sequence: "0,1/2,1" },
      { segment: "1/2:1", sequence: "0,1/2,1" },
    ]);
    expect(executionSegments(3).map((s) => s.segment)).toEqual(["0:1/3", "1/3:2/3", "2/3:1"]);
    expect(executionSegments(4)[0]?.sequence).toBe("0,1/4,2/4,3/4,1");
  });
});
