import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ITERATION_METADATA } from "../../loadtests/lib/lateness.ts";
import { rejectReason } from "../../loadtests/vocabulary/traffic.ts";
import {
  CLIENT_FILE,
  endpointTag,
  HLOG_FILE,
  parseClientJsonl,
  parseHlog,
  readIngested,
} from "../../reports/hlog.ts";
import { latenessHistograms } from "../../reports/lateness.ts";
import { REJECT_REASONS, TRAFFIC_CLASSES } from "../../reports/model.ts";

/**
 * The k6 output extension (loadtests/k6-output/, Go) against the TypeScript it mirrors: the
 * table its `go test` checks the Go port with is generated here from the TypeScript functions,
 * and its golden output is read back with the reporter's own reader.
 */

const DIR = join(import.meta.dirname, "../../loadtests/k6-output/testdata");

function tsTable(): string {
  const statuses = [
    0, 101, 200, 204, 301, 399, 400, 401, 403, 404, 408, 409, 418, 429, 499, 500, 502, 503, 504, 599,
  ];
  const codes = [undefined, -1008, -1007, -1003];
  const classes = [undefined, "order", "position", "depth", "stream"];
  const reject = [];
  for (const status of statuses)
    for (const code of codes)
      for (const cls of classes)
        reject.push({
          status,
          code: code ?? null,
          class: cls ?? null,
          reason: rejectReason(status, code, cls) ?? null,
        });
  const names = [
    "POST /fapi/v1/order",
    "GET /fapi/v2/positionRisk",
    "WS forceOrder",
    "GET /x,y 100%é",
    "tab\there\nnewline",
    "emoji 🚀 and ~!=:/",
    "",
  ];
  const endpointTags = names.map((name) => ({ name, tag: endpointTag(name) }));
  const table = {
    classes: TRAFFIC_CLASSES,
    reasons: REJECT_REASONS,
    iterationMetadata: ITERATION_METADATA,
    reject,
    endpointTags,
  };
  return `${JSON.stringify(table, null, 1)}\n`;
}

describe("k6 output extension", () => {
  it("has the TypeScript table its go test reads (rewritten when stale: commit it)", () => {
    const path = join(DIR, "ts-table.json");
    const want = tsTable();
    let have = "";
    try {
      have = readFileSync(path, "utf8");
    } catch {
      // missing: written below
    }
    if (have !== want) writeFileSync(path, want);
    expect(have, `${path} was stale and has been rewritten; commit it and rerun npm run test:go`).toBe(want);
  });

  it("writes an interval log and client.jsonl the reporter reads unchanged", async () => {
    const hlog = readFileSync(join(DIR, "golden.hlog"), "utf8");
    const client = readFileSync(join(DIR, "golden.jsonl"), "utf8");
    const { t0Us, seconds } = parseHlog(hlog);
    expect(t0Us).toBe(1_800_000_000_123_456);
    parseClientJsonl(client, seconds);
    expect([...seconds.keys()].sort()).toEqual([0, 1, 2]);
    // The Go test's run: 3000 requests, one a ms from t0, classes in turn; one unclassified.
    let requests = 0;
    let unclassified = 0;
    const byClass: Record<string, number> = {};
    const byEndpoint: Record<string, number> = {};
    let rejects = 0;
    let stale = 0;
    let checked = 0;
    let dropped = 0;
    let lateMs = 0;
    for (const sec of seconds.values()) {
      requests += sec.latencyUs.totalCount;
      unclassified += sec.unclassifiedUs?.totalCount ?? 0;
      for (const [cls, h] of Object.entries(sec.byClass)) byClass[cls] = (byClass[cls] ?? 0) + h.totalCount;
      for (const [name, h] of sec.byEndpoint) byEndpoint[name] = (byEndpoint[name] ?? 0) + h.totalCount;
      for (const n of Object.values(sec.rejected)) rejects += n ?? 0;
      stale += sec.staleReads;
      checked += sec.staleChecked;
      dropped += sec.droppedIterations;
      lateMs = Math.max(lateMs, sec.lateMsMax ?? 0);
    }
    expect({ requests, unclassified, byClass, rejects, stale, checked, dropped }).toEqual({
      requests: 3001,
      unclassified: 1,
      byClass: { order: 1000, position: 1000, depth: 1000 },
      rejects: 300,
      stale: 30,
      checked: 60,
      dropped: 1,
    });
    // Endpoint names come back decoded, commas, spaces, % and non-ASCII included.
    expect(byEndpoint).toEqual({
      "POST /fapi/v1/order": 750,
      "GET /fapi/v2/positionRisk": 750,
      "GET /fapi/v1/depth": 750,
      "GET /a,b c%d/é": 750,
    });
    expect(lateMs).toBeCloseTo(5.6, 6); // (i % 9) * 0.7 at most 8 * 0.7
    const dir = mkdtempSync(join(tmpdir(), "stampede-k6out-"));
    copyFileSync(join(DIR, "golden.hlog"), join(dir, HLOG_FILE));
    copyFileSync(join(DIR, "golden.jsonl"), join(dir, CLIENT_FILE));
    const ingested = await readIngested(dir, []);
    expect(ingested.overall.latencyUs.totalCount).toBe(3001);
    const { latenessUs, correctedUs } = latenessHistograms(ingested);
    expect(latenessUs?.totalCount).toBe(60);
    expect(correctedUs?.totalCount).toBe(3000); // the unclassified request had no lateness
    // Corrected = duration + lateness (0..6 ms): never below the plain latency.
    expect(correctedUs?.getValueAtPercentile(50)).toBeGreaterThanOrEqual(
      ingested.overall.latencyUs.getValueAtPercentile(50),
    );
  });

  it("merges several generators' files exactly and skips unknown tag families", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stampede-k6out-"));
    const hlog = readFileSync(join(DIR, "golden.hlog"), "utf8");
    // Generator 1 set up 2.2 s after generator 0: its seconds move by 2.
    const later = hlog.replace(/1800000000\.123456/g, "1800000002.323456");
    writeFileSync(join(dir, "latency-0.hlog"), hlog);
    writeFileSync(join(dir, "latency-1.hlog"), later);
    copyFileSync(join(DIR, "golden.jsonl"), join(dir, "client-0.jsonl"));
    copyFileSync(join(DIR, "golden.jsonl"), join(dir, "client-1.jsonl"));
    const merged = await readIngested(dir, []);
    expect(merged.t0Us).toBe(1_800_000_000_123_456);
    expect(merged.overall.latencyUs.totalCount).toBe(6002);
    expect(merged.droppedIterations).toBe(2);
    expect([...merged.seconds.keys()].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(merged.seconds.get(3)?.latencyUs.totalCount).toBe(1000);
    // A breakdown this reader does not know (key=value) is not counted as requests again.
    const line = hlog.split("\n").find((l) => l.startsWith("Tag=order,")) as string;
    writeFileSync(
      join(dir, "latency-0.hlog"),
      `${hlog}${line.replace("Tag=order,", "Tag=behaviour=trader,")}\n`,
    );
    expect((await readIngested(dir, [])).overall.latencyUs.totalCount).toBe(6002);
  });
});
