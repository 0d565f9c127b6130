import { ApiError, ERR } from "./errors.ts";

/**
 * Request parameters as Binance takes them: from the query string and, for POST/PUT/DELETE, an
 * `application/x-www-form-urlencoded` body; a name given twice, in either place, is -1101.
 * Every check of a value's format lives here, at the edge; the engine trusts what passes.
 */
export class Params {
  private readonly values = new Map<string, string>();

  constructor(...sources: string[]) {
    for (const source of sources) {
      if (source.length === 0) continue;
      let parsed: URLSearchParams;
      try {
        parsed = new URLSearchParams(source);
      } catch {
        throw new ApiError(ERR.ILLEGAL_CHARS, { name: "query" });
      }
      for (const [name, value] of parsed) {
        if (this.values.has(name)) throw new ApiError(ERR.DUPLICATE_PARAM, { name });
        this.values.set(name, value);
      }
    }
  }

  get(name: string): string | undefined {
    const v = this.values.get(name);
    return v === undefined || v.length === 0 ? undefined : v;
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
    if (/^-\d+(\.\d+)?$/.test(raw)) throw new ApiError(notPositive, { name });
    const match = /^(\d+)(?:\.(\d+))?$/.exec(raw);
    if (match === null) throw new ApiError(ERR.MANDATORY_PARAM, { name });
    const intPart = (match[1] as string).replace(/^0+(?=\d)/, "");
    const fracPart = (match[2] ?? "").replace(/0+$/, "");
    if (intPart.length + fracPart.length > 15) throw new ApiError(ERR.BAD_PRECISION, { name });
    const unitFrac = unit.split(".")[1] ?? "";
    const decimals = Math.max(fracPart.length, unitFrac.length);
    const scaled = Number(intPart + fracPart.padEnd(decimals, "0"));
    const unitScaled = Math.round(Number(unit) * 10 ** decimals);
    if (scaled === 0) throw new ApiError(notPositive, { name });
    if (scaled % unitScaled !== 0) throw new ApiError(notMultiple, { name });
    return scaled / unitScaled;
  }
}

/** Formats whole units of `unit` as the decimal string the venue would send. */
export function formatUnits(units: number, unit: string): string {
  const decimals = (unit.split(".")[1] ?? "").length;
  return (units * Number(unit)).toFixed(decimals);
}
