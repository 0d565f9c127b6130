/**
 * Scripted market events (price shocks) as a profile states them and the control plane accepts
 * them, with their validation. The venue's price path that follows them is
 * mock-exchange/marketEvents.ts (`MarketPath`).
 */
export interface MarketEvent {
  /**
   * Natural seconds from the start (the venue's origin) when the move begins.
   * @minimum 0
   */
  atS: number;
  /** A symbol of the venue (mock-exchange/defaults.ts DEFAULT_SYMBOLS). */
  symbol: string;
  /**
   * Size of the move, percent of the price when it begins: -12 is a 12% drop. In (-90, 500),
   * not 0.
   * @exclusiveMinimum -90
   * @exclusiveMaximum 500
   */
  movePct: number;
  /**
   * Natural seconds the move takes, in linear steps; 0 moves at once.
   * @minimum 0
   */
  overS: number;
}

/**
 * Problems with a list of market events (from a profile, or posted to the control plane), empty
 * when valid. `symbols`: the venue's, or undefined when there is no venue to check against (the
 * simulators model no prices); `naturalS`: the profile's length, when events must start inside
 * it. A move is bounded below by -90% (the price stays positive, the house ladder above zero)
 * and above by +500%.
 */
export function marketEventProblems(
  events: unknown,
  symbols: readonly string[] | undefined,
  naturalS?: number,
): string[] {
  if (!Array.isArray(events)) return ["marketEvents must be a list of { atS, symbol, movePct, overS }"];
  const problems: string[] = [];
  events.forEach((raw: unknown, i) => {
    const where = `marketEvents[${i}]`;
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
      problems.push(`${where} must be an object { atS, symbol, movePct, overS }`);
      return;
    }
    const e = raw as Record<string, unknown>;
    for (const key of Object.keys(e))
      if (!["atS", "symbol", "movePct", "overS"].includes(key))
        problems.push(`${where}: unknown field "${key}"; known: atS, symbol, movePct, overS`);
    if (symbols === undefined) {
      if (typeof e.symbol !== "string") problems.push(`${where}: symbol must be a name, e.g. "BTCUSDT"`);
    } else if (typeof e.symbol !== "string" || !symbols.includes(e.symbol))
      problems.push(`${where}: unknown symbol ${JSON.stringify(e.symbol)}; known: ${symbols.join(", ")}`);
    if (!(isNumber(e.movePct) && e.movePct > -90 && e.movePct < 500 && e.movePct !== 0))
      problems.push(`${where}: movePct must be a non-zero number of percent in (-90, 500), e.g. -12`);
    if (!(isNumber(e.overS) && e.overS >= 0))
      problems.push(`${where}: overS must be a number >= 0 (natural seconds the move takes)`);
    if (!(isNumber(e.atS) && e.atS >= 0))
      problems.push(`${where}: atS must be a number >= 0 (natural seconds from the start)`);
    else if (naturalS !== undefined && e.atS > naturalS)
      problems.push(`${where}: atS must be within the profile (0..${naturalS})`);
  });
  return problems;
}

export function isNumber(x: unknown): x is number {
  return typeof x === "number" && Number.isFinite(x);
}
