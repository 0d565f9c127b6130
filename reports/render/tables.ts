import { failedStops } from "../market.ts";
import type { ClassSummary, Summary } from "../model.ts";
import { escapeXml as esc } from "./echarts.ts";
import { formatCount, formatMs, formatPct, formatSig3 } from "./format.ts";

/**
 * report.html's tables of figures the charts cannot carry: how late each scale-out was and the
 * burst's recovery, both in the profile's natural minutes (the charts' wall seconds shrink a
 * 3.5-minute boot to 3.5 s at time scale 60), the per-endpoint latency and rejects, and the
 * market outcome.
 */

const DASH = "—";

function isNum(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

/** Natural minutes, one decimal. */
function minutes(naturalS: number | null | undefined): string {
  return isNum(naturalS) ? String(Math.round((naturalS / 60) * 10) / 10) : DASH;
}

/** Natural time of day in the drill as m:ss. */
function clock(naturalS: number | null | undefined): string {
  if (!isNum(naturalS)) return DASH;
  // Before the client's start (a drill's exchange starts first): "-0:30".
  const s = Math.round(Math.abs(naturalS));
  return `${naturalS < 0 ? "-" : ""}${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

const th = (label: string, num = true) => `<th scope="col"${num ? ' class="num"' : ""}>${label}</th>`;

/**
 * Natural seconds between the exchange's clock (timeline `tNaturalS`, events' `atS`, summary.json
 * `capacity.scaleOuts`) and the charts' clock (the client's t0 × time scale): a drill's exchange
 * starts a few wall seconds before k6 does; 0 for a simulation, or without a timeline.
 */
export function exchangeClockOffsetS(
  timeline: ReadonlyArray<{ t: number; tNaturalS?: number }>,
  timeScale: number,
): number {
  const line = timeline.find((p) => isNum(p.t) && isNum(p.tNaturalS));
  return line === undefined ? 0 : (line.tNaturalS as number) - (line.t + 1) * timeScale;
}

/**
 * Every scale-out with its lag: demand crossing the target, decision, capacity ready. "boot" is
 * decision to ready alone, known even when the crossing is not (the policy's demand metric can
 * sit just above its target while the timeline's utilisation sits just under it).
 */
export function scaleOutTable(summary: Summary, clockOffsetS = 0): string {
  const rows = summary.capacity?.scaleOuts ?? [];
  // On the charts' clock, so a time here reads off the charts' axis.
  const at = (s: number | null) => clock(s === null ? null : s - clockOffsetS);
  const head = `<table class="mini scale-outs" id="scale-out-lag"><caption>Scale-out lag (natural time, m:ss since the start, as on the charts)</caption><thead><tr>${th("tier", false)}${th("target")}${th("demand crossed")}${th("decided")}${th("ready")}${th("boot (min)")}${th("lag (min)")}</tr></thead>`;
  if (rows.length === 0)
    return `${head}<tbody><tr><td colspan="7" class="nodata">no scale-out in this run</td></tr></tbody></table>`;
  const body = rows
    .map(
      (r) =>
        `<tr data-tier="${esc(r.tier)}"><th scope="row">${esc(r.tier)}</th><td class="num">${r.target === null ? DASH : formatSig3(r.target)}</td><td class="num">${at(r.demandCrossedAtNaturalS)}</td><td class="num">${at(r.decidedAtNaturalS)}</td><td class="num">${r.readyAtNaturalS === null ? "not before the end" : at(r.readyAtNaturalS)}</td><td class="num">${r.readyAtNaturalS === null ? DASH : minutes(r.readyAtNaturalS - r.decidedAtNaturalS)}</td><td class="num${isNum(r.lagMinutes) ? " strong" : ""}">${isNum(r.lagMinutes) ? formatSig3(r.lagMinutes) : DASH}</td></tr>`,
    )
    .join("");
  return `${head}<tbody>${body}</tbody></table>`;
}

/**
 * The summary's burst figures in natural minutes. Its seconds are wall seconds since t0; one wall
 * second is `timeScale` natural seconds.
 */
export function burstTable(summary: Summary, timeScale: number): string {
  const b = summary.burst;
  if (b === undefined || b === null)
    return '<table class="mini kv" id="burst-figures"><caption>Burst</caption><tbody><tr><td class="nodata">the profile has no burst</td></tr></tbody></table>';
  const nat = (wallS: number | null) => (isNum(wallS) ? wallS * timeScale : null);
  // Natural first (the profile's clock), the wall seconds the charts and summary.json use after.
  const both = (wallS: number, strong = false) => {
    const m = `${minutes(nat(wallS))} min`;
    return `${strong ? `<strong>${m}</strong>` : m} <span class="sub">${formatSig3(wallS)} s wall</span>`;
  };
  const rows: [string, string][] = [
    ["burst phase", `${esc(b.phase)} (${minutes(nat(b.startS))}–${minutes(nat(b.endS))} min)`],
    ["p99 in the burst", `${formatMs(b.p99Ms)} ms`],
    ["p99 before it", b.preBurstP99Ms === null ? DASH : `${formatMs(b.preBurstP99Ms)} ms`],
    [
      "first capacity reject",
      b.timeToFirstRejectS === null ? "none" : `${both(b.timeToFirstRejectS)} after the rise`,
    ],
    ["time to recover", b.timeToRecoverS === null ? "not recovered" : both(b.timeToRecoverS, true)],
    ["backlog drain", b.backlogDrainS === null ? "not drained" : both(b.backlogDrainS)],
    ["peak replica lag", b.peakReplicaLagMs === null ? DASH : both(b.peakReplicaLagMs / 1000)],
  ];
  const body = rows.map(([k, v]) => `<tr><th scope="row">${k}</th><td class="num">${v}</td></tr>`).join("");
  return `<table class="mini kv" id="burst-figures"><caption>Burst, in natural minutes</caption><tbody>${body}</tbody></table>`;
}

function endpointRow(name: string, c: ClassSummary): string {
  const has = c.requests > 0;
  const ms = (v: number) => `<td class="num">${has ? formatMs(v) : DASH}</td>`;
  const warn = c.rejected.total > 0 ? " warn" : "";
  return `<tr data-endpoint="${esc(name)}"><th scope="row"><code>${esc(name)}</code></th><td class="num">${formatCount(c.requests)}</td>${ms(c.latencyMs.p50)}${ms(c.latencyMs.p90)}${ms(c.latencyMs.p99)}<td class="num${warn}">${formatCount(c.rejected.total)}</td><td class="num${warn}">${has ? formatPct(c.rejected.total / c.requests) : DASH}</td></tr>`;
}

/** Requests, latency percentiles and rejects per endpoint (k6's `name` tag). */
export function endpointTable(summary: Summary): string {
  const entries = Object.entries(summary.byEndpoint ?? {});
  const head = `<table class="summary endpoints" id="by-endpoint"><thead><tr>${th("endpoint", false)}${th("requests")}${th("p50 ms")}${th("p90 ms")}${th("p99 ms")}${th("rejected")}${th("rejected %")}</tr></thead>`;
  if (entries.length === 0)
    return `${head}<tbody><tr><td colspan="7" class="nodata">no per-endpoint data: the samples carry no endpoint names (a simulated run)</td></tr></tbody></table>`;
  return `${head}<tbody>${entries.map(([name, c]) => endpointRow(name, c)).join("")}</tbody></table>`;
}

/** USDT to the dollar, with separators: the cents summary.json keeps are noise at this scale. */
const usdt = (v: number) => `${formatCount(v)} USDT`;

/** summary.json `market` as a table; the empty string for a run without a market model. */
export function marketTable(summary: Summary): string {
  const m = summary.market;
  if (m === undefined) return "";
  const s = m.stopLosses;
  const failed = failedStops(m);
  const bps = (v: number | null) => (v === null ? DASH : `${formatSig3(v)} bps`);
  const rows: [string, string, boolean?][] = [
    ["oracle", esc(m.oracle)],
    [
      "liquidations (shown by the stream)",
      `${formatCount(m.liquidations)} (${formatCount(m.liquidationsShown)})`,
    ],
    ["liquidated notional", `<strong>${usdt(m.liquidatedNotional)}</strong>`, m.liquidatedNotional > 0],
    ["shock sold", usdt(m.shockNotional)],
    ["amplification", m.amplification === null ? "no shock" : `×${formatSig3(m.amplification)}`],
    ["stops triggered / filled", `${formatCount(s.triggered)} / ${formatCount(s.filled)}`],
    ["stops refused / late", `${formatCount(s.refused)} / ${formatCount(s.late)}`, s.refused + s.late > 0],
    ["failed stops", formatCount(failed), failed > 0],
    ["stop slippage p50 / p99", `${bps(s.slippageBps.p50)} / ${bps(s.slippageBps.p99)}`],
    [
      "insurance fund start → end",
      `${usdt(m.insuranceFund.start)} → ${usdt(m.insuranceFund.end)}`,
      m.insuranceFund.end < m.insuranceFund.start,
    ],
    ["insurance fund lowest", usdt(m.insuranceFund.min)],
    [
      "ADL events / accounts",
      `${formatCount(m.adl.events)} / ${formatCount(m.adl.accounts)}`,
      m.adl.events > 0,
    ],
    ["ADL notional", usdt(m.adl.notional)],
    [
      "maker requests refused",
      `${formatCount(m.makerRequestsRefused)} of ${formatCount(m.makerRequests)}${m.makerRequests > 0 ? ` (${formatPct(m.makerRequestsRefused / m.makerRequests)})` : ""}`,
      m.makerRequestsRefused > 0,
    ],
  ];
  const body = rows
    .map(
      ([k, v, warn]) =>
        `<tr><th scope="row">${esc(k)}</th><td class="num${warn ? " warn" : ""}">${v}</td></tr>`,
    )
    .join("");
  return `<table class="mini kv" id="market-figures"><caption>Market (summary.json <code>market</code>)</caption><tbody>${body}</tbody></table>`;
}
