import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { ChartFigure } from "./charts.ts";
import { escapeXml } from "./echarts.ts";

/**
 * The interactive half of report.html and comparison.html: every chart's ECharts option embedded
 * as JSON, ECharts itself inlined (the page stays one file that opens offline: no CDN, no
 * request), and a small script drawing each panel with zoom (wheel/drag and a slider on time
 * axes), legend toggles and an axis tooltip that gives natural time and wall time.
 */

let library: string | undefined;

/** dist/echarts.min.js of the installed echarts, read once. */
function echartsSource(): string {
  library ??= readFileSync(createRequire(import.meta.url).resolve("echarts/dist/echarts.min.js"), "utf8");
  return library;
}

/** A figure's panels as containers the page script fills; the heading and caption stay HTML. */
export function figureHtml(f: ChartFigure, attr = "data-chart"): string {
  const panels = f.panels
    .map(
      (p) =>
        `<div class="echart" data-panel="${escapeXml(p.id)}" role="img" aria-label="${escapeXml(p.title)}" style="height:${p.height}px"></div>`,
    )
    .join("");
  return `<figure ${attr}="${escapeXml(f.id)}"><h3>${escapeXml(f.heading)}</h3>${panels}<figcaption>${f.caption}</figcaption></figure>`;
}

/** JSON safe inside <script>: no `</script>`, no `<!--`. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

// Plain ES5-ish script: the page has no build step either.
const INIT = `(function () {
  var data = JSON.parse(document.getElementById("chart-options").textContent);
  function clock(min) {
    var s = Math.round(Math.abs(min) * 60), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), x = s % 60;
    var mm = h > 0 ? h + ":" + String(m).padStart(2, "0") : String(m);
    return (min < 0 ? "-" : "") + mm + ":" + String(x).padStart(2, "0");
  }
  function pct(x) {
    if (!(x > 1)) return "0%";
    return Number((100 * (1 - 1 / x)).toPrecision(Math.max(2, Math.round(Math.log10(x)) + 1))) + "%";
  }
  function esc(t) {
    return String(t).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  function num(v) {
    if (typeof v !== "number" || !isFinite(v)) return "\\u2014";
    return Math.abs(v) >= 100 ? Math.round(v).toLocaleString("en-US") : String(Number(v.toPrecision(3)));
  }
  function lines(items) {
    return items.filter(function (it) { return it.value && it.value[1] != null; })
      .map(function (it) { return it.marker + it.seriesName + ": <strong>" + num(it.value[1]) + "</strong>"; }).join("<br>");
  }
  var charts = [];
  document.querySelectorAll("[data-panel]").forEach(function (el) {
    var p = data[el.getAttribute("data-panel")];
    if (!p) return;
    var o = p.option;
    if (p.timeScale !== null) {
      var ts = p.timeScale;
      // Events (markLines) inside the hovered wall second join the axis tooltip.
      var events = [];
      (o.series || []).forEach(function (se) {
        if (String(se.id).indexOf("event-") === 0 && se.markLine)
          se.markLine.data.forEach(function (d) { events.push({ x: d.xAxis, text: d.name, color: se.color }); });
      });
      var half = ts / 120;
      o.tooltip.formatter = function (items) {
        var min = items.length > 0 ? items[0].axisValue : 0;
        var near = events.filter(function (e) { return Math.abs(e.x - min) <= half + 1e-9; }).map(function (e) {
          return "<span style=\\"color:" + e.color + "\\">\u2502</span> " + esc(e.text).split("\\n").join("<br>");
        });
        return "natural " + clock(min) + " <span style=\\"color:#64748b\\">(wall " + num((min * 60) / ts) + " s)</span><br>" + lines(items) + (near.length > 0 ? "<br>" + near.join("<br>") : "");
      };
    } else if (!Array.isArray(o.xAxis) && o.xAxis.type === "log") {
      // A percentile spectrum: x = 1/(1-p), labelled as the percentile it stands for.
      o.xAxis.axisLabel.formatter = pct;
      o.tooltip.formatter = function (items) { return (items.length > 0 ? pct(items[0].axisValue) : "") + "<br>" + lines(items); };
    }
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(o);
    var fig = el.closest("figure");
    var group = fig && (fig.getAttribute("data-chart") || fig.getAttribute("id"));
    if (group && fig.querySelectorAll("[data-panel]").length > 1) { chart.group = group; echarts.connect(group); }
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();`;

/** The scripts that draw the figures: put once, after the last figure. */
export function chartScripts(figures: readonly ChartFigure[]): string {
  const options: Record<string, { option: unknown; timeScale: number | null }> = {};
  for (const f of figures)
    for (const p of f.panels) options[p.id] = { option: p.option, timeScale: p.timeScale };
  return [
    `<script type="application/json" id="chart-options">${scriptJson(options)}</script>`,
    `<script>${echartsSource()}</script>`,
    `<script>${INIT}</script>`,
  ].join("\n");
}

export const CHART_CSS = `
figure .echart { width: 100%; }
figure .echart + .echart { margin-top: 4px; }
`;
