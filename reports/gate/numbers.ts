/**
 * How the gate writes numbers, the same in a check's reason and in every output format: exact
 * for integers, 6 significant digits otherwise, percentages to 2 decimals.
 */

export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? "∞" : x < 0 ? "-∞" : "NaN";
  if (Number.isInteger(x)) return String(x);
  return String(Number(x.toPrecision(6)));
}

export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return fraction > 0 ? "∞%" : "-∞%";
  return `${Number((fraction * 100).toFixed(2))}%`;
}

/** How the metric moved from the baseline: `+12.5%`, `-3%`, `±0%`; `+∞%` from a zero baseline. */
export function movedText(current: number, baseline: number): string {
  if (current === baseline) return "±0%";
  if (baseline === 0) return current > 0 ? "+∞%" : "-∞%";
  const moved = (current - baseline) / Math.abs(baseline);
  return moved >= 0 ? `+${formatPercent(moved)}` : `-${formatPercent(-moved)}`;
}
