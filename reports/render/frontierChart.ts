/**
 * The cost frontier of a comparison as an ECharts option: cost in USD (x) against the p99 in the
 * burst (left) and the capacity-reject rate (right), one point per strategy with its 95 %
 * intervals (min..max of the repeats below 5 repeats, none for a single run) drawn as a cross.
 * A strategy is worth a look when no other is both cheaper and better on the same chart.
 *
 * Pure data (no functions inside), so the option can be inlined into the page as JSON:
 * the page wires it in (`frontierChartOption` is the export to call).
 */

import type { BaseMetricKey, Comparison, Spread } from "../compare.ts";
import { strategyColor } from "./strategyColors.ts";

/** ECharts' empty value: a gap that breaks a line series between the two arms of a cross. */
const GAP = "-";

type Point = [number, number];

/** The interval of a figure: the bootstrap's, else the repeats' min..max, else the value. */
function rangeOf(s: Spread): [number, number] | null {
  if (s.value === null || !Number.isFinite(s.value)) return null;
  if (s.ci95 !== null && Number.isFinite(s.ci95.lo) && Number.isFinite(s.ci95.hi))
    return [s.ci95.lo, s.ci95.hi];
  if (s.n >= 2 && s.min !== null && s.max !== null) return [s.min, s.max];
  return [s.value, s.value];
}

const PANELS: ReadonlyArray<{ key: BaseMetricKey; id: string; name: string }> = [
  { key: "p99BurstMs", id: "p99", name: "p99 in the burst (ms)" },
  { key: "capacityRejectedPct", id: "capacity", name: "capacity rejects (%)" },
];

export function frontierChartOption(c: Comparison): Record<string, unknown> {
  const series: Array<Record<string, unknown>> = [];
  PANELS.forEach((panel, gridIndex) => {
    c.groups.forEach((g, i) => {
      const cost = g.metrics.costUsd;
      const y = g.metrics[panel.key];
      const xr = rangeOf(cost);
      const yr = rangeOf(y);
      if (xr === null || yr === null || cost.value === null || y.value === null) return;
      const color = strategyColor(i);
      const at: Point = [cost.value, y.value];
      series.push({
        id: `frontier-${panel.id}-${g.label}`,
        name: g.label,
        type: "scatter",
        xAxisIndex: gridIndex,
        yAxisIndex: gridIndex,
        symbolSize: 10,
        itemStyle: { color },
        data: [at],
      });
      series.push({
        id: `frontier-${panel.id}-${g.label}-interval`,
        name: g.label,
        type: "line",
        xAxisIndex: gridIndex,
        yAxisIndex: gridIndex,
        symbol: "none",
        silent: true,
        connectNulls: false,
        lineStyle: { color, width: 1.5 },
        data: [[xr[0], at[1]], [xr[1], at[1]], GAP, [at[0], yr[0]], [at[0], yr[1]]],
      });
    });
  });
  const intervals =
    c.intervals !== null
      ? "95 % bootstrap intervals"
      : c.repeats !== null
        ? "min..max of the repeats"
        : "single runs";
  return {
    // No title: the page's figure heading names the chart (a title is the pages' no-data sign).
    graphic: [
      {
        type: "text",
        left: "center",
        top: 4,
        style: { text: `lines: ${intervals}; lower-left is better`, fill: "#64748b", fontSize: 12 },
      },
    ],
    legend: { top: 28, data: c.groups.map((g) => g.label) },
    tooltip: { trigger: "item" },
    grid: [
      { left: 70, right: "54%", top: 70, bottom: 50 },
      { left: "54%", right: 30, top: 70, bottom: 50 },
    ],
    xAxis: PANELS.map((_, i) => ({
      type: "value",
      gridIndex: i,
      name: "cost (USD)",
      nameLocation: "middle",
      nameGap: 28,
      scale: true,
    })),
    yAxis: PANELS.map((p, i) => ({
      type: "value",
      gridIndex: i,
      name: p.name,
      scale: true,
    })),
    series,
  };
}
