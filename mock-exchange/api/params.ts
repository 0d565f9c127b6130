import { ApiError, ERR } from "../../loadtests/vocabulary/exchangeErrors.ts";

/**
 * What only URLSearchParams decodes: "+" (a space), "%XX" escapes and lone surrogates (made
 * U+FFFD). A source without any is split as it is (Params.split).
 */
const NEEDS_DECODING = /[%+\uD800-\uDFFF]/;

/**
 * Request parameters as Binance takes them: from the query string and, for POST/PUT/DELETE, an
 * `application/x-www-form-urlencoded` body; a name given twice, in either place, is -1101.
 * Every check of a value's format lives here, at the edge; the engine trusts what passes.
 */
export class Params {
  /**
   * Names and values in arrival order, searched linearly: a request has about ten, and two
   * arrays cost less than a Map per request (no hashing of freshly sliced names, no growth).
   */
  private readonly names: string[] = [];
  private readonly values: string[] = [];

  constructor(...sources: string[]) {
    for (const source of sources) {
      if (source.length === 0) continue;
      if (!NEEDS_DECODING.test(source)) {
        this.split(source);
        continue;
      }
      let parsed: URLSearchParams;
      try {
        parsed = new URLSearchParams(source);
      } catch {
        throw new ApiError(ERR.ILLEGAL_CHARS, { name: "query" });
      }
      for (const [name, value] of parsed) this.add(name, value);
    }
  }

  /**
   * URLSearchParams' parse (WHATWG "application/x-www-form-urlencoded parser", as Node does it:
   * a leading "?" dropped, empty pairs skipped, the first "=" separates) for a source with
   * nothing to decode: the same pairs without its array of pairs and iterator, per request.
   */
  private split(source: string): void {
    const end = source.length;
    let at = source.charCodeAt(0) === 63 /* ? */ ? 1 : 0;
    while (at < end) {
      let amp = source.indexOf("&", at);
      if (amp < 0) amp = end;
      if (amp > at) {
        const eq = source.indexOf("=", at);
        const named = eq >= 0 && eq < amp;
        this.add(source.slice(at, named ? eq : amp), named ? source.slice(eq + 1, amp) : "");
      }
      at = amp + 1;
    }
  }

  private add(name: string, value: string): void {
    if (this.names.includes(name)) throw new ApiError(ERR.DUPLICATE_PARAM, { name });
    this.names.push(name);
    this.values.push(value);
  }

  get(name: string): string | undefined {
    const i = this.names.indexOf(name);
    if (i < 0) return undefined;
    const v = this.values[i] as string;
    return v.length === 0 ? undefined : v;
  }

  required(name: string): string {
    const v = this.get(name);
    if (v === undefined) throw new ApiError(ERR.MANDATORY_PARAM, { name });
    return v;
  }

  /** One of a fixed set of words; anything else is the given catalog error. */
  oneOf<T extends string>(name: string, allowed: readonly T[], invalid: typeof ERR.INVALID_SIDE): T {
    const v = this.required(name);
    if (!(allowed as readonly string[]).includes(v)) throw new ApiError(invalid, { name });
    return v as T;
  }

  /** A positive integer id such as orderId; undefined when absent. */
  optionalId(name: string): number | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    if (!/^\d{1,15}$/.test(v)) throw new ApiError(ERR.MANDATORY_PARAM, { name });
    return Number(v);
  }

  /** A small positive integer within [min, max] (e.g. depth limit); default when absent. */
  optionalInt(name: string, min: number, max: number, fallback: number): number {
    const v = this.get(name);
    if (v === undefined) return fallback;
    if (!/^\d{1,9}$/.test(v)) throw new ApiError(ERR.MANDATORY_PARAM, { name });
    const n = Number(v);
    if (n < min || n > max) throw new ApiError(ERR.INVALID_PARAMETER, { name });
    return n;
  }

  /**
   * A decimal amount converted to whole units of `unit` (ticks or lots). Rejects malformed
   * (-1102), zero or negative (the given error), more digits than a double holds exactly (-1111)
   * and values that are not a multiple of the unit (the given error).
   */
  units(
    name: string,
    unit: string,
    notPositive: typeof ERR.QTY_LESS_THAN_ZERO,
    notMultiple: typeof ERR.QTY_NOT_INCREASED_BY_STEP_SIZE,
  ): number {
    const raw = this.required(name);
    // One scan for what the regular expressions /^-?(\d+)(?:\.(\d+))?$/ would match (two per
    // order, on the hot path): digits, then "." and at least one digit, or nothing.
    const length = raw.length;
    const negative = raw.charCodeAt(0) === 45; /* - */
    let at = negative ? 1 : 0;
    const intStart = at;
    while (at < length && isDigit(raw.charCodeAt(at))) at++;
    const intEnd = at;
    let fracEnd = at;
    let wellFormed = intEnd > intStart;
    if (wellFormed && at < length) {
      wellFormed = raw.charCodeAt(at) === 46; /* . */
      const fracStart = ++at;
      while (at < length && isDigit(raw.charCodeAt(at))) at++;
      fracEnd = at;
      wellFormed &&= fracEnd > fracStart && at === length;
    }
    if (negative && wellFormed) throw new ApiError(notPositive, { name });
    if (negative || !wellFormed) throw new ApiError(ERR.MANDATORY_PARAM, { name });
    // Leading zeros off (one digit kept), trailing zeros of the fraction off.
    let from = intStart;
    while (from < intEnd - 1 && raw.charCodeAt(from) === 48 /* 0 */) from++;
    let to = fracEnd;
    while (to > intEnd + 1 && raw.charCodeAt(to - 1) === 48) to--;
    const intPart = raw.slice(from, intEnd);
    const fracPart = to > intEnd + 1 ? raw.slice(intEnd + 1, to) : "";
    if (intPart.length + fracPart.length > 15) throw new ApiError(ERR.BAD_PRECISION, { name });
    const decimals = Math.max(fracPart.length, fractionDigits(unit));
    const scaled = Number(intPart + fracPart.padEnd(decimals, "0"));
    const unitScaled = Math.round(Number(unit) * 10 ** decimals);
    if (scaled === 0) throw new ApiError(notPositive, { name });
    if (scaled % unitScaled !== 0) throw new ApiError(notMultiple, { name });
    return scaled / unitScaled;
  }
}

/** Formats whole units of `unit` as the decimal string the venue would send. */
export function formatUnits(units: number, unit: string): string {
  return (units * Number(unit)).toFixed(fractionDigits(unit));
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Length of `unit.split(".")[1] ?? ""`, without the array (formatUnits runs per response field). */
function fractionDigits(unit: string): number {
  const dot = unit.indexOf(".");
  if (dot < 0) return 0;
  const next = unit.indexOf(".", dot + 1);
  return (next < 0 ? unit.length : next) - dot - 1;
}
