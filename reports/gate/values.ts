/**
 * How the gate looks at values it did not make (a config, a summary.json) and names them in its
 * messages: short, so an error line stays one line.
 */

/** A plain object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** What a value is, in words: `null`, `a list`, `the string "…"`, `an object`, `a number`. */
export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v === "object" ? "an object" : `a ${typeof v}`}`;
}

/** A value as its JSON, cut at 60 characters. */
export function show(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 60)}…` : s;
  } catch {
    return String(v);
  }
}

/** The keys an object has, for a "no such key" message: ` (has: a, b, …)`. */
export function keysHint(keys: string[], lead = "has"): string {
  if (keys.length === 0) return " (it is empty)";
  const shown = keys.slice(0, 12).join(", ");
  return ` (${lead}: ${shown}${keys.length > 12 ? ", …" : ""})`;
}
