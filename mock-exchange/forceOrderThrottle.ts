/**
 * The liquidation feed's throttle (Binance USDⓈ-M "Liquidation Order Streams", docs/facts.md):
 * "For each symbol, only the latest one liquidation order within 1000ms will be pushed as the
 * snapshot. If no liquidation happens in the interval of 1000ms, no stream will be pushed."
 *
 * Windows are fixed, `windowMs` long and aligned to the venue's origin, so with the default
 * 1000 ms each snapshot belongs to exactly one timeline second. A liquidation that opens a window
 * for its symbol will be published (carrying whatever liquidation is latest when the window
 * closes); every other one in that window is hidden. `offer` says which, so the venue counts
 * shown and hidden liquidations whether or not anybody listens: the undercount is a property of
 * the feed. Pure: time comes in as `nowMs`, no timers (the stream server drains `due` from its
 * one shared tick).
 */

export interface ForceOrderSnapshot<T> {
  symbol: string;
  /** The latest liquidation of the window. */
  event: T;
  /** When the window closed (ms): the earliest a snapshot may be pushed. */
  windowEndMs: number;
}

interface Slot<T> {
  /** Window index of `latest`. */
  window: number;
  /** Latest liquidation of the open window; undefined when none is pending. */
  latest: T | undefined;
  /** A closed window's snapshot not drained before the next window opened (a late tick). */
  readyWindow: number;
  ready: T | undefined;
}

export class ForceOrderThrottle<T> {
  /** One slot per symbol, reused window after window: bounded by the venue's symbols, not by liquidations. */
  private readonly slots = new Map<string, Slot<T>>();

  constructor(
    readonly windowMs: number,
    private readonly originMs: number,
  ) {
    if (!(windowMs > 0)) throw new Error(`forceOrder window must be > 0 ms, got ${windowMs}`);
  }

  /**
   * Records a liquidation of `symbol` at `nowMs`. True when it opens a window (its symbol gets one
   * more snapshot: it counts as shown); false when it replaces the pending one (hidden).
   */
  offer(symbol: string, event: T, nowMs: number): boolean {
    const window = Math.floor((nowMs - this.originMs) / this.windowMs);
    let slot = this.slots.get(symbol);
    if (slot === undefined) {
      slot = { window, latest: undefined, readyWindow: 0, ready: undefined };
      this.slots.set(symbol, slot);
    }
    if (slot.latest !== undefined) {
      if (slot.window === window) {
        slot.latest = event;
        return false;
      }
      // The previous window closed but nobody drained it yet: keep it for the next `due`. Only
      // one is kept per symbol; an older one would have been missed by a whole window already.
      slot.ready = slot.latest;
      slot.readyWindow = slot.window;
    }
    slot.window = window;
    slot.latest = event;
    return true;
  }

  /** Snapshots whose window has closed by `nowMs`, each once, appended to `out` (oldest first per symbol). */
  due(nowMs: number, out: ForceOrderSnapshot<T>[] = []): ForceOrderSnapshot<T>[] {
    for (const [symbol, slot] of this.slots) {
      if (slot.ready !== undefined) {
        out.push({ symbol, event: slot.ready, windowEndMs: this.windowEnd(slot.readyWindow) });
        slot.ready = undefined;
      }
      if (slot.latest !== undefined) {
        const end = this.windowEnd(slot.window);
        if (end <= nowMs) {
          out.push({ symbol, event: slot.latest, windowEndMs: end });
          slot.latest = undefined;
        }
      }
    }
    return out;
  }

  private windowEnd(window: number): number {
    return this.originMs + (window + 1) * this.windowMs;
  }
}
