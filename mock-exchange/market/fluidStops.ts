import type { Fill } from "./fluidBook.ts";
import type { FluidPosition } from "./fluidPositions.ts";
import type { StopTally } from "./stopLossTrader.ts";

/**
 * The stop-loss traders of the fluid cascade (market/fluidCascade.ts), after
 * market/stopLossTrader.ts: once the mark crosses a trader's stop, its reduce-only close for what
 * is left of the position goes out, and the step's admitted share of priority orders gets
 * through (reduce-only passes shedding) and closes that share of it at market; the rest is sent
 * again `retryMs` later. A trader counts as filled at its first fill (any part, as per request),
 * with that fill's slippage; each refused share counts as a refusal; what is still open when the
 * position is liquidated counts as late. Counts are kept as shares of traders and handed out as
 * whole counts per second, the remainder carried.
 */
export class FluidStops {
  private readonly cumulative = { triggered: 0, filled: 0, refused: 0, late: 0 };
  private readonly handedOut = { triggered: 0, filled: 0, refused: 0, late: 0 };
  /** Each defended position's size when its stop went off, base units. */
  private readonly sizeAtTrigger = new Map<FluidPosition, number>();

  constructor(
    private readonly retryMs: number,
    private readonly tally: StopTally,
  ) {}

  /** Watches the marks; sends the closes due at `t`. */
  act(
    positions: readonly FluidPosition[],
    t: number,
    priorityShare: number,
    close: (p: FluidPosition, qty: number) => Fill,
    markOf: (symbol: string) => number,
  ): void {
    for (const p of positions) {
      const stop = p.stop;
      if (stop === undefined || stop.state === "done" || !p.alive) continue;
      const long = p.qty > 0;
      if (stop.state === "watching") {
        const mark = markOf(p.symbol);
        if (long ? mark > stop.priceUsdt : mark < stop.priceUsdt) continue;
        stop.state = "closing";
        this.cumulative.triggered++;
        this.sizeAtTrigger.set(p, Math.abs(p.qty));
      }
      if (t < stop.nextSendMs) continue;
      const size = this.sizeAtTrigger.get(p) as number;
      const open = Math.abs(p.qty);
      this.cumulative.refused += (open / size) * (1 - priorityShare);
      stop.nextSendMs = t + this.retryMs;
      const fill = close(p, open * priorityShare);
      if (fill.qty <= 0) continue;
      if (open === size) {
        this.cumulative.filled++;
        const avg = fill.notionalUsdt / fill.qty;
        // Adverse is positive: a sell filled below its stop, a buy above it.
        this.tally.slippageBps.push(
          ((long ? stop.priceUsdt - avg : avg - stop.priceUsdt) / stop.priceUsdt) * 10_000,
        );
      }
      if (Math.abs(p.qty) <= size * 1e-6) stop.state = "done";
    }
  }

  /** A defended position liquidated: what its close had not got out yet was late. */
  liquidated(p: FluidPosition): void {
    const stop = p.stop;
    if (stop === undefined) return;
    if (stop.state === "closing")
      this.cumulative.late += Math.abs(p.qty) / (this.sizeAtTrigger.get(p) as number);
    stop.state = "done";
  }

  /** Whole counts for the second into the tally (MarketStats closes it). */
  whole(): void {
    for (const k of ["triggered", "filled", "refused", "late"] as const) {
      const n = Math.round(this.cumulative[k]) - this.handedOut[k];
      this.tally[k] = n;
      this.handedOut[k] += n;
    }
  }
}
