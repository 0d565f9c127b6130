/** One colour per strategy, in order; the baseline is always the first (slate-blue). */
export const STRATEGY_COLORS = [
  "#2563eb",
  "#ea580c",
  "#16a34a",
  "#c026d3",
  "#0d9488",
  "#dc2626",
  "#a16207",
  "#475569",
] as const;

export function strategyColor(i: number): string {
  return STRATEGY_COLORS[i % STRATEGY_COLORS.length] as string;
}
