import type { MarketSecond, OracleMode } from "../../loadtests/vocabulary/market.ts";
import { marketOf } from "../market.ts";
import type { ReportModel } from "../model.ts";
import { type ChartFigure, OPTIONAL_CHARTS } from "./charts.ts";
import type { Band, BarSeries, ChartPanel, EventMarker, LineSeries, Point } from "./echarts.ts";
import { timeChart } from "./echarts.ts";
import { formatCount, formatSig3 } from "./format.ts";

/**
 * report.html's market charts (OPTIONAL_CHARTS `market-*`), drawn when timeline.jsonl carries the
 * market model's seconds: what the margin system saw (prices by every oracle, with the forced
 * selling they caused), what was left to trade against (depth near the mid), whether the makers
 * could keep quoting through the venue's admission, and who paid (insurance fund, ADL).
 */

/**
 * What the charts share with the report's others (reports/render/html.ts ChartContext). Capacity
 * events are drawn on the makers' chart alone, where refusals follow capacity; on the others they
 * would crowd out the market's own series.
 */
export interface MarketChartContext {
  timeScale: number;
  domain: [number, number];
  bands: Band[];
  events: EventMarker[];
}

const CHART_WIDTH = 1100;

/** One line per symbol or asset, in order; the oracles' three prices keep one colour each. */
const SERIES_COLORS = ["#2563eb", "#ea580c", "#16a34a", "#c026d3", "#0d9488", "#a16207"] as const;
const ORACLE_COLORS: Record<OracleMode, string> = {
  "internal-spot": "#dc2626",
  "index-twap": "#2563eb",
  "conversion-rate": "#16a34a",
};
const COLORS = {
  // Translucent: the bars sit under the price lines they explain.
  liquidated: "rgba(185,28,28,0.4)",
  makerAccepted: "#94c5ae",
  makerRefused: "#e11d48",
  makersQuoting: "#0f172a",
  makersTotal: "#94a3b8",
  fundClose: "#0369a1",
  fundMin: "#7c3aed",
  adl: "rgba(245,158,11,0.5)",
} as const;

const colorAt = (i: number) => SERIES_COLORS[i % SERIES_COLORS.length] as string;
// A per-second bucket [t, t+1) is drawn at its middle, so lines sit over their bars.
const mid = (t: number) => t + 0.5;

interface MarketRow {
  t: number;
  m: MarketSecond;
}

/** The timeline's seconds that carry the market, in time order. */
export function marketRows(model: ReportModel): MarketRow[] {
  const rows: MarketRow[] = [];
  for (const p of model.timeline) {
    const m = marketOf(p);
    if (m !== undefined && Number.isFinite(p.t)) rows.push({ t: p.t, m });
  }
  return rows.sort((a, b) => a.t - b.t);
}

/** Symbols (or collateral assets) in first-seen order. */
function namesOf(rows: readonly MarketRow[], pick: (m: MarketSecond) => Record<string, unknown>): string[] {
  const names = new Set<string>();
  for (const r of rows) for (const name of Object.keys(pick(r.m) ?? {})) names.add(name);
  return [...names];
}

const HEADINGS = new Map<string, string>(OPTIONAL_CHARTS.map((c) => [c.id, c.title]));

function marketFigure(id: ChartFigure["id"], panels: ChartPanel[], caption: string): ChartFigure {
  return { id, heading: HEADINGS.get(id) ?? id, panels, caption };
}

/** The oracle in use: run.json's, else summary.json's. */
function oracleInUse(model: ReportModel): OracleMode | null {
  const fromRun = model.run.oracle;
  if (fromRun === "internal-spot" || fromRun === "index-twap" || fromRun === "conversion-rate")
    return fromRun;
  return model.summary.market?.oracle ?? null;
}

function liquidatedBars(rows: readonly MarketRow[], symbol: string | null): BarSeries {
  return {
    id: symbol === null ? "market-liquidated-all" : `market-liquidated-${symbol}`,
    name: "liquidated notional / s",
    color: COLORS.liquidated,
    axis: "right",
    points: rows.map((r): Point => {
      if (symbol !== null) return [r.t, r.m.symbols[symbol]?.liquidatedNotionalUsdt ?? null];
      let sum = 0;
      for (const s of Object.values(r.m.symbols)) sum += s.liquidatedNotionalUsdt;
      return [r.t, sum];
    }),
  };
}

function pricesChart(model: ReportModel, rows: readonly MarketRow[], ctx: MarketChartContext): ChartFigure {
  const symbols = namesOf(rows, (m) => m.symbols);
  const assets = namesOf(rows, (m) => m.collateral);
  const oracle = oracleInUse(model);
  const panels: ChartPanel[] = [];
  const x = (last: boolean) => ({
    label: last ? "time since start" : "",
    domain: ctx.domain,
    timeScale: ctx.timeScale,
  });
  symbols.forEach((symbol, i) => {
    const last = i === symbols.length - 1 && assets.length === 0;
    panels.push(
      timeChart({
        id: `chart-market-prices-${symbol}`,
        title: `${symbol}: mark and index, liquidated notional`,
        width: CHART_WIDTH,
        height: last ? 240 : 190,
        x: x(last),
        y: { label: `${symbol} (USDT)`, fitData: true },
        y2: { label: "liquidated (USDT / s)", min: 0 },
        bars: [liquidatedBars(rows, symbol)],
        lines: [
          {
            id: `market-mark-${symbol}`,
            name: `${symbol} mark`,
            color: colorAt(i),
            points: rows.map((r): Point => [mid(r.t), r.m.symbols[symbol]?.mark ?? null]),
            maxGap: 1.5,
            width: 2,
          },
          {
            id: `market-index-${symbol}`,
            name: `${symbol} index`,
            color: colorAt(i),
            points: rows.map((r): Point => [mid(r.t), r.m.symbols[symbol]?.index ?? null]),
            maxGap: 1.5,
            dash: "dashed",
            width: 1.25,
          },
        ],
        bands: ctx.bands,
      }),
    );
  });
  if (assets.length > 0) {
    const lines: LineSeries[] = [];
    for (const asset of assets) {
      const modes: Array<[OracleMode, (m: MarketSecond) => number | undefined]> = [
        ["internal-spot", (m) => m.collateral[asset]?.spot],
        ["index-twap", (m) => m.collateral[asset]?.indexTwap],
        ["conversion-rate", (m) => m.collateral[asset]?.conversionRate],
      ];
      for (const [mode, price] of modes) {
        const used = mode === oracle;
        lines.push({
          id: `market-oracle-${asset}-${mode}`,
          name: `${asset} ${mode}${used ? " (in use)" : ""}`,
          color: ORACLE_COLORS[mode],
          points: rows.map((r): Point => [mid(r.t), price(r.m) ?? null]),
          maxGap: 1.5,
          // The price margin used is the one that liquidates: drawn heavy, the others for contrast.
          width: used ? 3 : 1.25,
          ...(used ? {} : { dash: "dashed" as const }),
        });
      }
    }
    panels.push(
      timeChart({
        id: "chart-market-prices-collateral",
        title: "Collateral: every oracle's price, liquidated notional (all symbols)",
        width: CHART_WIDTH,
        height: 260,
        x: x(true),
        y: { label: "collateral price (USDT)", fitData: true },
        y2: { label: "liquidated (USDT / s)", min: 0 },
        bars: [liquidatedBars(rows, null)],
        lines,
        bands: ctx.bands,
      }),
    );
  }
  const sum = model.summary.market;
  const caption = [
    "From timeline.jsonl's <code>market</code>, prices at the end of each second.",
    symbols.length > 0
      ? "Per perpetual: its mark (solid) and the external index its makers lean towards (dashed); bars (right axis), the notional its liquidations closed that second."
      : "",
    assets.length > 0
      ? `Collateral: its price by each oracle (spot on the venue's own book, the index TWAP, the conversion rate), ${oracle === null ? "" : `the one margin used (<strong>${oracle}</strong>) drawn heavy, `}with the liquidated notional of every symbol as bars.`
      : "",
    sum === undefined
      ? ""
      : `Over the run: <strong>${formatCount(sum.liquidatedNotional)} USDT</strong> liquidated${sum.amplification === null ? " without a shock" : ` for ${formatCount(sum.shockNotional)} USDT of shock (×${formatSig3(sum.amplification)})`}.`,
  ]
    .filter((s) => s !== "")
    .join(" ");
  return marketFigure("market-prices", panels, caption);
}

function depthChart(rows: readonly MarketRow[], ctx: MarketChartContext): ChartFigure {
  const symbols = namesOf(rows, (m) => m.symbols);
  const assets = namesOf(rows, (m) => m.collateral);
  const lines: LineSeries[] = [];
  symbols.forEach((symbol, i) => {
    lines.push(
      {
        id: `market-bids-${symbol}`,
        name: `${symbol} bids`,
        color: colorAt(i),
        points: rows.map((r): Point => [mid(r.t), r.m.symbols[symbol]?.bidDepthUsdt ?? null]),
        maxGap: 1.5,
        width: 2,
      },
      {
        id: `market-asks-${symbol}`,
        name: `${symbol} asks`,
        color: colorAt(i),
        points: rows.map((r): Point => [mid(r.t), r.m.symbols[symbol]?.askDepthUsdt ?? null]),
        maxGap: 1.5,
        dash: "dashed",
        width: 1.5,
      },
    );
  });
  assets.forEach((asset, i) => {
    lines.push({
      id: `market-collateral-bids-${asset}`,
      name: `${asset} spot bids`,
      color: colorAt(symbols.length + i),
      points: rows.map((r): Point => [mid(r.t), r.m.collateral[asset]?.bidDepthUsdt ?? null]),
      maxGap: 1.5,
      dash: "dotted",
      width: 2,
    });
  });
  const panel = timeChart({
    id: "chart-market-depth",
    title: "Resting notional within the depth band around the mid",
    width: CHART_WIDTH,
    height: 280,
    x: { label: "time since start", domain: ctx.domain, timeScale: ctx.timeScale },
    y: { label: "depth near the mid (USDT)", min: 0 },
    lines,
    bands: ctx.bands,
  });
  const caption =
    "Resting notional within the depth band around the mid at the end of each second: bids (solid) and asks (dashed) per perpetual, and the bids under each collateral asset's spot mid (dotted), where seized collateral is sold. Thin books turn forced selling into price moves.";
  return marketFigure("market-depth", [panel], caption);
}

function makersChart(model: ReportModel, rows: readonly MarketRow[], ctx: MarketChartContext): ChartFigure {
  const panel = timeChart({
    id: "chart-market-makers",
    title: "Market makers' requests per second, those the venue refused, and makers quoting",
    width: CHART_WIDTH,
    height: 260,
    x: { label: "time since start", domain: ctx.domain, timeScale: ctx.timeScale },
    y: { label: "maker requests / s", min: 0 },
    y2: { label: "makers", min: 0 },
    bars: [
      {
        id: "market-maker-accepted",
        name: "accepted / s",
        color: COLORS.makerAccepted,
        points: rows.map((r): Point => [r.t, Math.max(0, r.m.makerRequests - r.m.makerRequestsRefused)]),
      },
      {
        id: "market-maker-refused",
        name: "refused or timed out / s",
        color: COLORS.makerRefused,
        points: rows.map((r): Point => [r.t, r.m.makerRequestsRefused]),
      },
    ],
    lines: [
      {
        id: "market-makers-quoting",
        name: "makers quoting",
        color: COLORS.makersQuoting,
        points: rows.map((r): Point => [mid(r.t), r.m.makersQuoting]),
        axis: "right",
        maxGap: 1.5,
        step: true,
        width: 2,
      },
      {
        id: "market-makers-total",
        name: "makers",
        color: COLORS.makersTotal,
        points: rows.map((r): Point => [mid(r.t), r.m.makersTotal]),
        axis: "right",
        maxGap: 1.5,
        dash: "dotted",
        width: 1.25,
      },
    ],
    bands: ctx.bands,
    events: ctx.events,
  });
  const sum = model.summary.market;
  const caption = [
    "Market makers' quote updates and cancels pass the venue's admission like any client's: stacked bars, those served and those refused or timed out each second; step line (right axis), makers with quotes on the book at the end of the second, of all makers (dotted). A maker whose requests are refused cannot move its quotes, and withdraws.",
    sum === undefined
      ? ""
      : `Over the run: ${formatCount(sum.makerRequestsRefused)} of ${formatCount(sum.makerRequests)} maker requests refused.`,
  ]
    .filter((s) => s !== "")
    .join(" ");
  return marketFigure("market-makers", [panel], caption);
}

function insuranceChart(
  model: ReportModel,
  rows: readonly MarketRow[],
  ctx: MarketChartContext,
): ChartFigure {
  const panel = timeChart({
    id: "chart-market-insurance",
    title: "Insurance fund per second, and auto-deleveraging",
    width: CHART_WIDTH,
    height: 260,
    x: { label: "time since start", domain: ctx.domain, timeScale: ctx.timeScale },
    y: { label: "insurance fund (USDT)", fitData: true },
    y2: { label: "ADL events / s", min: 0 },
    bars: [
      {
        id: "market-adl-events",
        name: "ADL events / s",
        color: COLORS.adl,
        axis: "right",
        points: rows.map((r): Point => [r.t, r.m.adlEvents]),
      },
    ],
    lines: [
      {
        id: "market-fund-close",
        name: "fund at end of second",
        color: COLORS.fundClose,
        points: rows.map((r): Point => [mid(r.t), r.m.insuranceFund.closeUsdt]),
        maxGap: 1.5,
        width: 2,
      },
      {
        id: "market-fund-min",
        name: "lowest in second",
        color: COLORS.fundMin,
        points: rows.map((r): Point => [mid(r.t), r.m.insuranceFund.minUsdt]),
        maxGap: 1.5,
        dash: "dashed",
        width: 1.25,
      },
    ],
    bands: ctx.bands,
  });
  const sum = model.summary.market;
  const caption = [
    "The insurance fund at the end of each second (solid) and its lowest point within it (dashed): it pays for liquidations that close beyond bankruptcy. When it cannot, profitable counterparties are auto-deleveraged: bars (right axis), ADL reductions per second.",
    sum === undefined
      ? ""
      : `Over the run: fund ${formatCount(sum.insuranceFund.start)} → ${formatCount(sum.insuranceFund.end)} USDT (lowest ${formatCount(sum.insuranceFund.min)}); ${formatCount(sum.adl.events)} ADL events on ${formatCount(sum.adl.accounts)} accounts, ${formatCount(sum.adl.notional)} USDT.`,
  ]
    .filter((s) => s !== "")
    .join(" ");
  return marketFigure("market-insurance", [panel], caption);
}

/** The market charts in page order; none when the run has no market seconds. */
export function marketCharts(model: ReportModel, ctx: MarketChartContext): ChartFigure[] {
  const rows = marketRows(model);
  if (rows.length === 0) return [];
  return [
    pricesChart(model, rows, ctx),
    depthChart(rows, ctx),
    makersChart(model, rows, ctx),
    insuranceChart(model, rows, ctx),
  ];
}
