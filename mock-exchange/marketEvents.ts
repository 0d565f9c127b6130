import type { MarketEvent } from "../loadtests/vocabulary/marketEvents.ts";
import type { SymbolSpec } from "./engine/types.ts";

/**
 * Scripted market events (price shocks, loadtests/vocabulary/marketEvents.ts): the price path a
 * drill's venue follows, so its liquidation engine has something to liquidate (docs/facts.md
 * "Incident shapes": price drop -> liquidation -> forced sell -> price drop). Pure: the venue
 * asks for the path at its clock.
 */

// Moved to the vocabulary; re-exported for one step for the HTTP layer, which others edit now.
export type { MarketEvent } from "../loadtests/vocabulary/marketEvents.ts";

/**
 * Where each symbol's price should be at a venue time: the reference price times every event's
 * move so far (events on one symbol compound), stepped on whole natural steps so a re-run meets
 * the same prices at the same natural times whatever the wall clock's jitter.
 */
export class MarketPath {
  private readonly bySymbol: MarketEvent[][];
  /** Natural ms at which the last event ends; no steps after it. */
  private readonly endNaturalMs: number;

  constructor(
    private readonly symbols: readonly SymbolSpec[],
    events: readonly MarketEvent[],
    private readonly originMs: number,
    private readonly timeScale: number,
    private readonly stepNaturalMs: number,
  ) {
    this.bySymbol = symbols.map((s) => events.filter((e) => e.symbol === s.symbol));
    this.endNaturalMs = events.reduce((end, e) => Math.max(end, (e.atS + e.overS) * 1000), -1);
  }

  /** Natural ms since the origin, rounded down to the step. */
  steppedNaturalMs(nowMs: number): number {
    const naturalMs = (nowMs - this.originMs) * this.timeScale;
    return Math.floor(naturalMs / this.stepNaturalMs) * this.stepNaturalMs;
  }

  /** The price symbol `i` (config order) should have at `nowMs`, whole ticks, at least `floorTicks`. */
  midTicks(i: number, nowMs: number, floorTicks: number): number {
    return this.midTicksAtStep(i, this.steppedNaturalMs(nowMs), floorTicks);
  }

  /** midTicks at a step, natural ms since the origin (a multiple of the step). */
  midTicksAtStep(i: number, t: number, floorTicks: number): number {
    const spec = this.symbols[i] as SymbolSpec;
    let factor = 1;
    for (const e of this.bySymbol[i] as MarketEvent[]) {
      const startMs = e.atS * 1000;
      if (t < startMs) continue;
      const progress = e.overS === 0 ? 1 : Math.min(1, (t - startMs) / (e.overS * 1000));
      factor *= 1 + (e.movePct / 100) * progress;
    }
    return Math.max(floorTicks, Math.round(spec.referencePriceTicks * factor));
  }

  /** The step, natural ms. */
  get stepMs(): number {
    return this.stepNaturalMs;
  }

  /** Wall ms of the next step at which the path may move; +Infinity once every event is over. */
  nextDueMs(nowMs: number): number {
    const t = this.steppedNaturalMs(nowMs);
    if (t >= this.endNaturalMs) return Number.POSITIVE_INFINITY;
    return this.originMs + (t + this.stepNaturalMs) / this.timeScale;
  }
}
