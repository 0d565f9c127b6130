import { describe, expect, it } from "vitest";
import {
  checkK6Ecosystem,
  dashboardExportName,
  freeLoopbackPort,
  k6Extras,
  k6ExtrasFor,
  PROMETHEUS_RW_TREND_STATS,
} from "../../scripts/k6Ecosystem.ts";

const where = { runDir: "/runs/r1", index: 0, generators: 1, port: 40123 };

describe("k6 ecosystem: --k6-dashboard and --k6-out as k6 arguments and environment", () => {
  it("adds nothing without the options", () => {
    expect(k6ExtrasFor({}, where)).toEqual({ args: [], env: {} });
  });

  it("turns the web dashboard on, on loopback, exporting into the run folder", () => {
    const { args, env } = k6ExtrasFor({ dashboard: true }, where);
    expect(args).toEqual([]);
    expect(env).toEqual({
      K6_WEB_DASHBOARD: "true",
      K6_WEB_DASHBOARD_HOST: "127.0.0.1",
      K6_WEB_DASHBOARD_PORT: "40123",
      K6_WEB_DASHBOARD_OPEN: "false",
      K6_WEB_DASHBOARD_PERIOD: "1s",
      K6_WEB_DASHBOARD_EXPORT: "/runs/r1/k6-dashboard.html",
    });
    // Several generators: one export each.
    expect(
      k6ExtrasFor({ dashboard: true }, { ...where, index: 1, generators: 2 }).env.K6_WEB_DASHBOARD_EXPORT,
    ).toBe("/runs/r1/k6-1-dashboard.html");
    expect(dashboardExportName(0, 1)).toBe("k6-dashboard.html");
  });

  it("passes outputs through as --out, with the trend stats Grafana reads for remote write", () => {
    const { args, env } = k6ExtrasFor(
      { outputs: ["experimental-prometheus-rw", " json=/tmp/x.json "] },
      where,
    );
    expect(args).toEqual(["--out", "experimental-prometheus-rw", "--out", "json=/tmp/x.json"]);
    expect(env).toEqual({ K6_PROMETHEUS_RW_TREND_STATS: PROMETHEUS_RW_TREND_STATS });
    expect(PROMETHEUS_RW_TREND_STATS).toContain("p(99)");
    // The caller's own setting wins (it is in the inherited environment, so nothing is added).
    expect(
      k6ExtrasFor({ outputs: ["experimental-prometheus-rw"] }, where, { K6_PROMETHEUS_RW_TREND_STATS: "max" })
        .env,
    ).toEqual({});
  });

  it("refuses an empty output and the dashboard as an output (E_USAGE, exit 2)", () => {
    for (const bad of ["", "  ", "web-dashboard", "web-dashboard=port=1"])
      expect(() => checkK6Ecosystem({ outputs: [bad] }), bad).toThrow(
        expect.objectContaining({ code: "E_USAGE", exitCode: 2 }),
      );
  });

  it("picks a free loopback port per generator, logs the URL and the memory warning", async () => {
    const port = await freeLoopbackPort();
    expect(port).toBeGreaterThan(0);
    const lines: string[] = [];
    const extras = await k6Extras(
      { k6Dashboard: true, k6Out: ["experimental-prometheus-rw"], log: (l) => lines.push(l) },
      "/runs/r2",
      2,
    );
    const ports = [0, 1].map((i) => Number(extras.env(i).K6_WEB_DASHBOARD_PORT));
    for (const p of ports) expect(p).toBeGreaterThan(0);
    expect(extras.args(1)).toEqual(["--out", "experimental-prometheus-rw"]);
    expect(lines.some((l) => l.includes(`http://127.0.0.1:${ports[0]}`))).toBe(true);
    expect(lines.some((l) => /Trend value in memory/.test(l))).toBe(true);
  });
});
