/** Number formatting shared by report.html's tables and captions. */

const DASH = "—";

function isNum(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

/** Thousands separators without locale data, so the output is byte-identical everywhere. */
export function formatCount(n: number): string {
  if (!isNum(n)) return DASH;
  const s = String(Math.round(Math.abs(n)));
  return (n < 0 ? "-" : "") + s.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * 3 significant digits, the precision the HDR histograms were recorded with; more digits
 * would be noise. Values >= 1000 keep their integer digits rounded to 3 significant ones.
 */
export function formatMs(v: number | null | undefined): string {
  return formatSig3(v);
}

export function formatSig3(v: number | null | undefined): string {
  if (!isNum(v)) return DASH;
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1000) return formatCount(Number(v.toPrecision(3)));
  return String(Number(v.toPrecision(3)));
}

/** Percentage of a fraction, 3 significant digits; "0" only for an exact zero. */
export function formatPct(fraction: number): string {
  if (!isNum(fraction)) return DASH;
  if (fraction === 0) return "0 %";
  return `${Number((fraction * 100).toPrecision(3))} %`;
}
