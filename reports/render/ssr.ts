import * as echarts from "echarts";
import type { ChartFigure } from "./charts.ts";
import { type ChartPanel, escapeXml, FONT_FAMILY, percentLabel } from "./echarts.ts";

/**
 * Server-side rendering of the charts' option objects (ECharts' SSR: the SVG renderer with no
 * DOM) for charts/<id>.svg and, through resvg, charts/<id>.png. A static picture has nothing to
 * zoom: the dataZoom slider is left out and the plot takes its room.
 */

// Without a canvas ECharts guesses text widths from a Helvetica-like table; the PNGs use DejaVu
// Sans, which is wider (mean advance ~0.6 em), so legends would overlap. Measure for DejaVu.
echarts.setPlatformAPI({
  measureText(text: string, font?: string) {
    const size = Number(/(\d+(?:\.\d+)?)px/.exec(font ?? "")?.[1] ?? 12);
    return { width: text.length * size * 0.62 };
  },
});

/** The option as drawn without a browser: no slider, spectrum x labelled in percent. */
function staticOption(panel: ChartPanel): ChartPanel["option"] {
  const o = panel.option;
  const grid = o.grid as { bottom?: number } | undefined;
  return {
    ...o,
    dataZoom: [],
    ...(grid && typeof grid.bottom === "number" && panel.timeScale !== null
      ? { grid: { ...grid, bottom: Math.max(28, grid.bottom - 30) } }
      : {}),
    ...(panel.timeScale === null
      ? { xAxis: { ...(o.xAxis as object), axisLabel: { color: "#64748b", formatter: percentLabel } } }
      : {}),
  };
}

/** One panel as an SVG document of its own size. */
export function panelSvg(panel: ChartPanel): string {
  const chart = echarts.init(null, null, {
    renderer: "svg",
    ssr: true,
    width: panel.width,
    height: panel.height,
  });
  try {
    chart.setOption(staticOption(panel));
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

const HEADER_HEIGHT = 40;
const PAD = 12;

/**
 * A chart as a standalone SVG document: a white page with the chart's heading and run id on top,
 * and its panels stacked under it as report.html shows them.
 */
export function standaloneSvg(fig: ChartFigure, runId: string): string {
  const panels = fig.panels.map((p) => ({ svg: panelSvg(p), w: p.width, h: p.height }));
  const width = Math.max(200, ...panels.map((p) => p.w)) + 2 * PAD;
  const height = HEADER_HEIGHT + panels.reduce((sum, p) => sum + p.h, 0) + PAD;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="${escapeXml(FONT_FAMILY)}" data-chart="${escapeXml(fig.id)}">`,
    `<title>${escapeXml(`${fig.heading} (${runId})`)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${PAD + 8}" y="26" font-size="15" fill="#0f172a">${escapeXml(fig.heading)}</text>`,
    `<text x="${width - PAD - 8}" y="26" font-size="11" fill="#64748b" text-anchor="end">${escapeXml(`stampede ${runId}`)}</text>`,
  ];
  let y = HEADER_HEIGHT;
  for (const p of panels) {
    parts.push(p.svg.replace(/^<svg\b/, `<svg x="${PAD}" y="${y}"`));
    y += p.h;
  }
  parts.push("</svg>", "");
  return parts.join("\n");
}
