import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { rejectReason } from "../../loadtests/vocabulary/traffic.ts";
import {
  DURATION_BUCKETS_S,
  METRIC_CLASSES,
  METRIC_NAMES,
  type MetricClass,
  OUTCOMES,
  type Outcome,
} from "../../mock-exchange/api/metrics.ts";
import { startVenueServer, type VenueServer } from "../../mock-exchange/api/server.ts";
import { EXCHANGE_DEFAULTS, type ExchangeConfig } from "../../mock-exchange/defaults.ts";
import { K6_PROMETHEUS_RW_METRICS, PROMETHEUS_RW_TREND_STATS } from "../../scripts/k6Ecosystem.ts";
import { controlAccounts, controlFetch, fastExchangeConfig } from "./fixture.ts";

/** GET /metrics on a real socket: what the exchange counted is what the clients saw. */

function config(overrides: Partial<ExchangeConfig> = {}): ExchangeConfig {
  return fastExchangeConfig({
    // These requests count outcomes, not the dialect: keyed ones go unsigned.
    auth: { requireSignature: false },
    ...overrides,
  });
}

let exchange: VenueServer | undefined;
let keys: string[] = [];

async function start(overrides: Partial<ExchangeConfig> = {}) {
  exchange = await startVenueServer({ port: 0, config: config(overrides) });
  keys = (await controlAccounts(exchange)).map((a) => a.apiKey);
}

afterEach(async () => {
  await exchange?.close();
  exchange = undefined;
});

/** What the clients sent and saw, tallied the way the server must count it. */
class Tally {
  readonly requests = new Map<MetricClass, number>();
  readonly responses = new Map<string, number>();

  async call(
    cls: MetricClass,
    method: string,
    path: string,
    opts: { key?: string; body?: string; ip?: string } = {},
  ): Promise<{ status: number; code: number | undefined }> {
    const headers: Record<string, string> = { "X-Forwarded-For": opts.ip ?? "127.9.0.1" };
    if (opts.key !== undefined) headers["X-MBX-APIKEY"] = opts.key;
    if (opts.body !== undefined) headers["Content-Type"] = "application/x-www-form-urlencoded";
    const res = await fetch(`${(exchange as VenueServer).url}${path}`, { method, headers, body: opts.body });
    const json = (await res.json()) as { code?: number };
    const code = res.status >= 400 ? json.code : undefined;
    const outcome: Outcome = rejectReason(res.status, code, cls) ?? "served";
    this.requests.set(cls, (this.requests.get(cls) ?? 0) + 1);
    this.responses.set(`${cls}/${outcome}`, (this.responses.get(`${cls}/${outcome}`) ?? 0) + 1);
    return { status: res.status, code };
  }

  response(cls: MetricClass, outcome: Outcome): number {
    return this.responses.get(`${cls}/${outcome}`) ?? 0;
  }
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (0.0.4): `name{a="x",b="y"} value` lines, comments skipped. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
    const raw = m[3] as string;
    const value = raw === "+Inf" ? Number.POSITIVE_INFINITY : raw === "-Inf" ? -Infinity : Number(raw);
    samples.push({ name: m[1] as string, labels, value });
  }
  return samples;
}

class Scrape {
  constructor(
    readonly samples: Sample[],
    readonly contentType: string | null,
  ) {}

  /** The single series with exactly these labels (the `le` of a bucket counts as a label). */
  value(name: string, labels: Record<string, string> = {}): number {
    const want = Object.entries(labels);
    const found = this.samples.filter(
      (s) =>
        s.name === name &&
        Object.keys(s.labels).length === want.length &&
        want.every(([k, v]) => s.labels[k] === v),
    );
    if (found.length !== 1) throw new Error(`${name}${JSON.stringify(labels)}: ${found.length} series`);
    return (found[0] as Sample).value;
  }

  has(name: string): boolean {
    return this.samples.some((s) => s.name === name);
  }
}

async function scrape(ip = "127.9.9.9"): Promise<Scrape> {
  const res = await fetch(`${(exchange as VenueServer).url}/metrics`, {
    headers: { "X-Forwarded-For": ip },
  });
  expect(res.status).toBe(200);
  return new Scrape(parseExposition(await res.text()), res.headers.get("content-type"));
}

/** Every stampede_ counter equals the clients' tally, per class and outcome. */
function expectCountersMatch(m: Scrape, tally: Tally): void {
  for (const cls of METRIC_CLASSES) {
    expect(m.value("stampede_requests_total", { class: cls }), `requests ${cls}`).toBe(
      tally.requests.get(cls) ?? 0,
    );
    for (const outcome of OUTCOMES) {
      expect(m.value("stampede_responses_total", { class: cls, outcome }), `${cls}/${outcome}`).toBe(
        tally.response(cls, outcome),
      );
    }
  }
}

/**
 * The client's panels read k6's remote-write series (stampede's own k6 counter among them):
 * true when `expr` does, after checking each is one scripts/k6Ecosystem.ts declares.
 */
function readsK6Series(title: string, expr: string): boolean {
  const k6Names = expr.match(/\bk6_[a-z0-9_]+\b/g) ?? [];
  for (const raw of k6Names) expect(K6_PROMETHEUS_RW_METRICS, `${title}: ${raw}`).toContain(raw);
  return k6Names.length > 0;
}

describe("GET /metrics", () => {
  it("counts requests and responses by class and outcome, as the clients saw them, and is not traffic", async () => {
    await start({ limits: { ...EXCHANGE_DEFAULTS.limits, weightPerMinute: 20 } });
    const t = new Tally();
    for (let i = 0; i < 3; i++) await t.call("other", "GET", "/fapi/v1/ping", { ip: "127.9.0.1" });
    await t.call("other", "GET", "/fapi/v1/time", { ip: "127.9.0.1" });
    for (let i = 0; i < 3; i++) await t.call("depth", "GET", "/fapi/v1/depth?symbol=BTCUSDT&limit=5");
    // limit=1000 weighs 20: the second from the same client is rate limited (429).
    const heavy = [];
    for (let i = 0; i < 2; i++)
      heavy.push(
        await t.call("depth", "GET", "/fapi/v1/depth?symbol=BTCUSDT&limit=1000", { ip: "127.9.0.3" }),
      );
    expect(heavy.map((r) => r.status)).toEqual([200, 429]);
    await t.call("position", "GET", "/fapi/v2/positionRisk", { key: keys[0] as string, ip: "127.9.0.4" });
    await t.call("position", "GET", "/fapi/v2/positionRisk", { key: keys[1] as string, ip: "127.9.0.5" });
    // No API key: 401, counted as `error`.
    expect((await t.call("position", "GET", "/fapi/v2/positionRisk", { ip: "127.9.0.6" })).status).toBe(401);
    for (const price of ["59000.0", "58000.0"]) {
      await t.call("order", "POST", "/fapi/v1/order", {
        key: keys[2] as string,
        ip: "127.9.0.7",
        body: `symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=${price}`,
      });
    }
    // Refused at the edge: quantity 0 (400 on an order = order_rejected).
    await t.call("order", "POST", "/fapi/v1/order", {
      key: keys[2] as string,
      ip: "127.9.0.7",
      body: "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0",
    });

    // Scraping from the client whose weight is spent: never rate limited, never counted.
    for (let i = 0; i < 5; i++) await scrape("127.9.0.3");
    const m = await scrape("127.9.0.3");
    expect(m.contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
    expectCountersMatch(m, t);
    expect(m.value("stampede_requests_total", { class: "depth" })).toBe(5);
    expect(m.value("stampede_responses_total", { class: "depth", outcome: "rate_limited" })).toBe(1);
    expect(m.value("stampede_responses_total", { class: "position", outcome: "error" })).toBe(1);
    expect(m.value("stampede_responses_total", { class: "order", outcome: "order_rejected" })).toBe(1);
    expect(m.value("stampede_responses_total", { class: "order", outcome: "served" })).toBe(2);

    // The histogram times what entered the queue: served + timeouts (edge refusals are not timed).
    for (const cls of METRIC_CLASSES) {
      const count = m.value("stampede_request_duration_seconds_count", { class: cls });
      expect(count, cls).toBe(t.response(cls, "served") + t.response(cls, "timeout"));
      expect(m.value("stampede_request_duration_seconds_bucket", { class: cls, le: "+Inf" })).toBe(count);
      let previous = 0;
      for (const le of DURATION_BUCKETS_S) {
        const bucket = m.value("stampede_request_duration_seconds_bucket", { class: cls, le: String(le) });
        expect(bucket).toBeGreaterThanOrEqual(previous);
        previous = bucket;
      }
    }
    // The control plane is not traffic either.
    expect((await controlFetch(exchange as VenueServer, "/__stampede/config")).status).toBe(200);
    expectCountersMatch(await scrape(), t);
    // Process metrics come along (CPU, memory).
    expect(m.has("process_cpu_seconds_total")).toBe(true);
    expect(m.has("process_resident_memory_bytes") || m.has("nodejs_heap_size_used_bytes")).toBe(true);
  });

  it("times the queue: timeouts are counted by reason and observed in the histogram", async () => {
    const slow = { order: 100, position: 100, depth: 100, other: 100 };
    // One worker, a 150 ms queue timeout: of six at once, two are served and four time out.
    await start({
      capacity: {
        ...EXCHANGE_DEFAULTS.capacity,
        strategy: "fixed",
        tiers: {
          gateway: { baselineInstances: 1, concurrencyPerInstance: 1 },
          read: { baselineInstances: 1, concurrencyPerInstance: 1 },
        },
        serviceTimeMs: slow,
        serviceTimeMinMs: slow,
        queueTimeoutMs: 150,
        maxQueue: 100,
      },
    });
    const t = new Tally();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        t.call("depth", "GET", "/fapi/v1/depth?symbol=BTCUSDT&limit=5", { ip: `127.9.1.${i}` }),
      ),
    );
    expect(results.map((r) => `${r.status}/${r.code ?? ""}`).sort()).toEqual([
      "200/",
      "200/",
      "503/-1007",
      "503/-1007",
      "503/-1007",
      "503/-1007",
    ]);
    const m = await scrape();
    expectCountersMatch(m, t);
    expect(m.value("stampede_responses_total", { class: "depth", outcome: "timeout" })).toBe(4);
    expect(m.value("stampede_request_duration_seconds_count", { class: "depth" })).toBe(6);
    // Every timeout waited at least the queue timeout; nothing was served under 100 ms of service.
    expect(m.value("stampede_request_duration_seconds_sum", { class: "depth" })).toBeGreaterThan(
      4 * 0.15 + 0.1 + 0.2 - 0.01,
    );
    expect(m.value("stampede_request_duration_seconds_bucket", { class: "depth", le: "0.05" })).toBe(0);
  });

  it("has the capacity gauges for both tiers, and keeps counting across a reset", async () => {
    await start();
    const t = new Tally();
    for (let i = 0; i < 2; i++) await t.call("other", "GET", "/fapi/v1/ping");
    await new Promise((r) => setTimeout(r, 1_150)); // one wall second closes
    const before = await scrape();
    for (const tier of ["gateway", "read"]) {
      expect(before.value("stampede_instances", { tier, state: "ready" })).toBe(8);
      expect(before.value("stampede_instances", { tier, state: "booting" })).toBe(0);
      expect(before.value("stampede_queue_depth", { tier })).toBe(0);
      const u = before.value("stampede_utilisation", { tier });
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThanOrEqual(1);
      expect(before.value("stampede_cost_instance_minutes", { tier })).toBeGreaterThan(0);
    }
    expect(before.value("stampede_natural_time_seconds")).toBeGreaterThanOrEqual(1);
    expect(before.value("stampede_replica_lag_seconds")).toBeGreaterThanOrEqual(0);
    expect(before.value("stampede_stale_reads_total")).toBe(0);
    expect(before.value("stampede_resets_total")).toBe(0);

    const res = await controlFetch(exchange as VenueServer, "/__stampede/reset", {
      method: "POST",
      body: '{"strategy":"overprovisioned"}',
    });
    expect(res.status).toBe(200);
    await t.call("other", "GET", "/fapi/v1/ping");
    const after = await scrape();
    // Counters go on from where they were; the gauges describe the new venue.
    expectCountersMatch(after, t);
    expect(after.value("stampede_requests_total", { class: "other" })).toBe(3);
    expect(after.value("stampede_resets_total")).toBe(1);
    expect(after.value("stampede_natural_time_seconds")).toBe(0);
    expect(after.value("stampede_cost_instance_minutes", { tier: "gateway" })).toBeLessThan(
      before.value("stampede_cost_instance_minutes", { tier: "gateway" }),
    );
    expect(after.value("stampede_instances", { tier: "gateway", state: "ready" })).toBeGreaterThanOrEqual(8);
  });

  it("answers other methods on /metrics as an unknown path, uncounted", async () => {
    await start();
    const res = await fetch(`${(exchange as VenueServer).url}/metrics`, { method: "POST" });
    expect(res.status).toBe(404);
    const m = await scrape();
    for (const cls of METRIC_CLASSES) expect(m.value("stampede_requests_total", { class: cls })).toBe(0);
  });
});

describe("Grafana dashboard (docs/grafana/stampede-dashboard.json)", () => {
  const path = fileURLToPath(new URL("../../docs/grafana/stampede-dashboard.json", import.meta.url));

  interface Panel {
    id: number;
    type: string;
    title: string;
    datasource?: { uid?: string };
    targets?: Array<{ expr: string; datasource?: { uid?: string } }>;
    panels?: Panel[];
  }
  const dashboard = JSON.parse(readFileSync(path, "utf8")) as {
    schemaVersion: number;
    uid: string;
    title: string;
    panels: Panel[];
    templating: { list: Array<{ name: string; type: string; query?: string }> };
    annotations: { list: Array<{ name: string; expr?: string }> };
  };
  const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  const queryPanels = panels.filter((p) => p.type !== "row");

  it("parses, with a Prometheus datasource variable and unique panel ids", () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.templating.list.find((v) => v.name === "DS_PROMETHEUS")).toMatchObject({
      type: "datasource",
      query: "prometheus",
    });
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(queryPanels.length).toBeGreaterThanOrEqual(8);
    for (const p of queryPanels) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, literally.
      expect(p.datasource?.uid, p.title).toBe("${DS_PROMETHEUS}");
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
    }
  });

  it("queries only metrics the exchange exports", () => {
    const exported = new Set<string>(METRIC_NAMES);
    const used = new Set<string>();
    for (const p of queryPanels) {
      for (const target of p.targets ?? []) {
        const names = target.expr.match(/\b(stampede|process|nodejs)_[a-z_]+\b/g) ?? [];
        if (readsK6Series(p.title, target.expr)) continue;
        expect(names.length, `${p.title}: ${target.expr}`).toBeGreaterThan(0);
        for (const raw of names) {
          const name = raw.replace(/_(bucket|sum|count)$/, "");
          if (name.startsWith("stampede_")) expect(exported.has(name), `${p.title}: ${raw}`).toBe(true);
          else expect(["process_cpu_seconds_total", "process_resident_memory_bytes"]).toContain(name);
          used.add(name);
        }
      }
    }
    // The panels the issue asks for are all there.
    for (const name of [
      "stampede_requests_total",
      "stampede_responses_total",
      "stampede_request_duration_seconds",
      "stampede_queue_depth",
      "stampede_utilisation",
      "stampede_instances",
      "stampede_replica_lag_seconds",
      "stampede_cost_instance_minutes",
    ])
      expect(used.has(name), name).toBe(true);
    const quantiles = queryPanels
      .flatMap((p) => p.targets ?? [])
      .filter((t) => t.expr.includes("histogram_quantile"));
    expect(quantiles.some((t) => t.expr.startsWith("histogram_quantile(0.5"))).toBe(true);
    expect(quantiles.some((t) => t.expr.startsWith("histogram_quantile(0.99"))).toBe(true);
    for (const q of quantiles)
      expect(q.expr).toMatch(/rate\(stampede_request_duration_seconds_bucket(\{[^}]*\})?\[1m\]\)/);
    for (const a of dashboard.annotations.list.filter((a) => a.expr !== undefined)) {
      for (const raw of a.expr?.match(/\bstampede_[a-z_]+\b/g) ?? [])
        expect(exported.has(raw), raw).toBe(true);
    }
  });

  it("has the client's k6 panels, whose trend stats a drill with --k6-out asks k6 for", () => {
    const k6Exprs = queryPanels.flatMap((p) => p.targets ?? []).filter((t) => /\bk6_/.test(t.expr));
    for (const name of ["k6_http_req_duration_p99", "k6_stampede_rejects_total", "k6_http_reqs_total"])
      expect(
        k6Exprs.some((t) => t.expr.includes(name)),
        name,
      ).toBe(true);
    for (const name of K6_PROMETHEUS_RW_METRICS) {
      const stat = /^k6_http_req_duration_(p(\d+)|max)$/.exec(name);
      if (stat !== null)
        expect(PROMETHEUS_RW_TREND_STATS.split(","), name).toContain(
          stat[2] !== undefined ? `p(${stat[2]})` : "max",
        );
    }
  });
});
