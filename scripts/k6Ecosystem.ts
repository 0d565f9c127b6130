import { createServer } from "node:net";
import { join } from "node:path";
import { StampedeError } from "../loadtests/vocabulary/cliErrors.ts";

/**
 * k6's own ecosystem around a drill: its built-in web dashboard (`--k6-dashboard`) and its
 * outputs (`--k6-out`), as extra k6 arguments and environment per generator. Everything else
 * about k6's command line stays in drill.ts.
 *
 * Decisions:
 * - The dashboard listens on a free loopback port (logged) and exports its HTML report into the
 *   run folder (`k6-dashboard.html`, `k6-<i>-dashboard.html` with several generators). k6 waits
 *   for open dashboard tabs before it exits, so a tab left open past the plan runs into the
 *   drill's overrun kill; `--k6-dashboard` is for watching, the export is the record.
 * - `--k6-out` is passed through as `--out` verbatim: k6 validates its own outputs and their
 *   environment (`K6_PROMETHEUS_RW_*`...). Only what would clash with the drill is refused:
 *   an empty value, and `web-dashboard` (that is `--k6-dashboard`). For Prometheus remote write
 *   the trend stats default to the percentiles the Grafana dashboard reads, unless the caller's
 *   environment sets them.
 */

export interface K6EcosystemOptions {
  /** Turn on k6's web dashboard and save its HTML export in the run folder. */
  dashboard?: boolean | undefined;
  /** k6 outputs, each passed as `--out VALUE`. */
  outputs?: readonly string[] | undefined;
}

/** Trend stats k6 sends to Prometheus remote write: what docs/grafana/stampede-dashboard.json reads. */
export const PROMETHEUS_RW_TREND_STATS = "p(50),p(95),p(99),max,count";

/**
 * k6's Prometheus remote-write series the Grafana dashboard's client panels read (k6 prefixes
 * `k6_`, adds `_total` to counters, `_rate` to rates and the trend stat to trends).
 */
export const K6_PROMETHEUS_RW_METRICS = [
  "k6_http_req_duration_p50",
  "k6_http_req_duration_p95",
  "k6_http_req_duration_p99",
  "k6_http_req_duration_max",
  "k6_http_reqs_total",
  "k6_stampede_rejects_total",
  "k6_dropped_iterations_total",
  "k6_vus",
  "k6_vus_max",
] as const;

/** The dashboard's aggregation period. */
export const DASHBOARD_PERIOD = "1s";

/** Why the dashboard costs memory: logged once per drill that turns it on. */
export const DASHBOARD_MEMORY_WARNING =
  "k6 web dashboard: it keeps every Trend value in memory for its report, so the generator's RSS grows with the drill's request count (see run.json k6.generators[].rssMbMax)";

/** Checks the options at the edge (exit 2 on a bad one); returns the outputs, trimmed. */
export function checkK6Ecosystem(opts: K6EcosystemOptions): string[] {
  const outputs = (opts.outputs ?? []).map((o) => String(o).trim());
  for (const out of outputs) {
    if (out === "")
      throw new StampedeError("E_USAGE", "--k6-out needs a value, e.g. experimental-prometheus-rw");
    const type = out.split("=")[0] ?? "";
    if (type === "web-dashboard" || type === "dashboard")
      throw new StampedeError("E_USAGE", `--k6-out ${out}: use --k6-dashboard for k6's web dashboard`);
  }
  return outputs;
}

/** What `stampede drill` takes for this (DrillOptions extends it). */
export interface K6DrillOptions {
  /** `--k6-dashboard`. */
  k6Dashboard?: boolean | undefined;
  /** `--k6-out`, each passed as `--out VALUE`. */
  k6Out?: string[] | undefined;
}

export interface K6Extras {
  args: string[];
  env: Record<string, string>;
}

/**
 * The extra arguments and environment of generator `index` (of `generators`). `port` is the
 * dashboard's listening port (-1: export only, no HTTP server); `inheritedEnv` is the caller's
 * environment, whose own K6_PROMETHEUS_RW_TREND_STATS wins.
 */
export function k6ExtrasFor(
  opts: K6EcosystemOptions,
  where: { runDir: string; index: number; generators: number; port: number },
  inheritedEnv: Readonly<Record<string, string | undefined>> = {},
): K6Extras {
  const outputs = checkK6Ecosystem(opts);
  const args = outputs.flatMap((o) => ["--out", o]);
  const env: Record<string, string> = {};
  if (opts.dashboard === true) {
    env.K6_WEB_DASHBOARD = "true";
    env.K6_WEB_DASHBOARD_HOST = "127.0.0.1";
    env.K6_WEB_DASHBOARD_PORT = String(where.port);
    env.K6_WEB_DASHBOARD_OPEN = "false";
    // k6's default 10 s period leaves a compressed drill too few snapshots: it skips the export
    // ("test run was short"). One second is also the resolution of stampede's own report.
    env.K6_WEB_DASHBOARD_PERIOD = DASHBOARD_PERIOD;
    env.K6_WEB_DASHBOARD_EXPORT = join(where.runDir, dashboardExportName(where.index, where.generators));
  }
  if (
    outputs.some((o) => o.split("=")[0] === "experimental-prometheus-rw") &&
    inheritedEnv.K6_PROMETHEUS_RW_TREND_STATS === undefined
  )
    env.K6_PROMETHEUS_RW_TREND_STATS = PROMETHEUS_RW_TREND_STATS;
  return { args, env };
}

/** The export's file name in the run folder. */
export function dashboardExportName(index: number, generators: number): string {
  return generators === 1 ? "k6-dashboard.html" : `k6-${index}-dashboard.html`;
}

/** A loopback port nobody listens on now (the OS's pick; k6 binds it a moment later). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : -1;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Extras for every generator of a drill, with the dashboard's ports picked and its URLs and
 * memory warning logged. drill.ts calls this once and spreads `args(i)` / `env(i)`.
 */
export async function k6Extras(
  drill: K6DrillOptions & { log: (line: string) => void },
  runDir: string,
  generators: number,
): Promise<{ args: (i: number) => string[]; env: (i: number) => Record<string, string> }> {
  const opts: K6EcosystemOptions = { dashboard: drill.k6Dashboard, outputs: drill.k6Out };
  const log = drill.log;
  const perGenerator: K6Extras[] = [];
  for (let index = 0; index < generators; index++) {
    const port = opts.dashboard === true ? await freeLoopbackPort() : -1;
    perGenerator.push(k6ExtrasFor(opts, { runDir, index, generators, port }, process.env));
    if (opts.dashboard === true)
      log(
        `k6 web dashboard${generators > 1 ? ` (generator ${index})` : ""}: http://127.0.0.1:${port} (export: ${dashboardExportName(index, generators)})`,
      );
  }
  if (opts.dashboard === true) log(`warning: ${DASHBOARD_MEMORY_WARNING}`);
  for (const o of checkK6Ecosystem(opts)) log(`k6 output: --out ${o}`);
  return {
    args: (i) => perGenerator[i]?.args ?? [],
    env: (i) => perGenerator[i]?.env ?? {},
  };
}
