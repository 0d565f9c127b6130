/**
 * Byte-level CSV helpers of the k6 csv ingest (reports/k6CsvIngest.ts): record ends across
 * chunks, byte comparisons and number parsing without building strings, and the string path.
 */

export const QUOTE = 34;
export const COMMA = 44;
export const NL = 10;
export const CR = 13;
export const AMP = 38;
export const EQ = 61;
export const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Powers of ten that are exact doubles (10^0 .. 10^22). */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** bytes[a, b) === pattern */
export function bytesEqual(bytes: Uint8Array, a: number, b: number, pattern: Uint8Array): boolean {
  if (b - a !== pattern.length) return false;
  for (let i = 0; i < pattern.length; i++) if (bytes[a + i] !== pattern[i]) return false;
  return true;
}

/** Index of the pattern bytes[a, b) equals, or -1. */
export function indexOfBytes(
  bytes: Uint8Array,
  a: number,
  b: number,
  patterns: readonly Uint8Array[],
): number {
  for (let i = 0; i < patterns.length; i++) if (bytesEqual(bytes, a, b, patterns[i] as Uint8Array)) return i;
  return -1;
}

/**
 * `Number(text)` of bytes[a, b), without a string for plain decimals (`-?digits[.digits]`):
 * with at most 2^53 as the digits' integer m and at most 22 decimals, m / 10^k is one correctly
 * rounded division of two exact doubles, which is what Number() returns. Anything else (signs,
 * exponents, spaces, long mantissas) goes through Number() itself.
 */
export function parseNumber(bytes: Buffer, a: number, b: number): number {
  if (a === b) return 0;
  let i = a;
  const neg = bytes[i] === 45;
  if (neg) i++;
  let m = 0;
  let digits = 0;
  let decimals = -1;
  for (; i < b; i++) {
    const c = bytes[i] as number;
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (decimals >= 0) decimals++;
    } else if (c === 46 && decimals < 0) decimals = 0;
    else return Number(bytes.toString("utf8", a, b));
  }
  if (digits === 0 || m > Number.MAX_SAFE_INTEGER || decimals > 22)
    return Number(bytes.toString("utf8", a, b));
  const v = decimals > 0 ? m / (POW10[decimals] as number) : m;
  return neg ? -v : v;
}

/** `key=value&key=value` from k6's extra_tags column (the string path). */
export function tagValue(extraTags: string, key: string): string | undefined {
  for (const pair of extraTags.split("&")) {
    const eq = pair.indexOf("=");
    if (eq > 0 && pair.slice(0, eq) === key) return pair.slice(eq + 1);
  }
  return undefined;
}

/** Splits one CSV record (quotes removed, "" unescaped); the quoted path only runs when needed. */
export function splitCsv(line: string): string[] {
  if (!line.includes('"')) return line.split(",");
  const out: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      out.push(field);
      field = "";
    } else field += ch;
  }
  out.push(field);
  return out;
}

/** 1 when bytes hold an odd number of quotes (a record that stopped inside a quoted field). */
export function quoteParity(bytes: Uint8Array): number {
  let odd = 0;
  for (let i = bytes.indexOf(QUOTE); i >= 0; i = bytes.indexOf(QUOTE, i + 1)) odd ^= 1;
  return odd;
}

/** The "\n" ending the record that starts at `from` (inside quotes when `inQuotes`), or -1. */
export function recordEnd(buf: Buffer, from: number, inQuotes: number): number {
  let quoted = inQuotes;
  let pos = from;
  for (;;) {
    const nl = buf.indexOf(NL, pos);
    if (nl < 0) return -1;
    for (let q = buf.indexOf(QUOTE, pos); q >= 0 && q < nl; q = buf.indexOf(QUOTE, q + 1)) quoted ^= 1;
    if (quoted === 0) return nl;
    pos = nl + 1;
  }
}
