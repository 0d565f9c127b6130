import type { ExchangeConfig } from "../defaults.ts";

/**
 * How far a drill compresses the rate limits' fixed windows (docs/architecture.md "Two clocks"). A window
 * and its budget are divided by the same factor, so a limit's rate (units per wall second) is
 * always the venue's. The factor is the time scale, but no larger than keeps every budget at its
 * floor: at strong compression a budget of a few units rounds the venue's rate away (300 orders
 * per 10 s at scale 180 is 1.67 orders per 55 ms window: one fits, so the effective limit drops
 * from 30 to 18 orders/s; 2,400 weight per minute at scale 510 is 4.7 per window, less than one
 * position read). One factor for every limit keeps the windows nested as the venue's are (six
 * 10 s order windows per minute, the order minute the same as the weight minute).
 *
 * @returns natural ms per wall ms inside a limit window: the time scale, or less
 */
export function limitWindowCompression(limits: ExchangeConfig["limits"], timeScale: number): number {
  const floorAllows = Math.min(
    limits.weightPerMinute / limits.minWindowWeight,
    limits.ordersPer10s / limits.minWindowOrders,
    limits.ordersPerMinute / limits.minWindowOrders,
  );
  return Math.min(timeScale, Math.max(1, floorAllows));
}

/**
 * Per-key limiter state that means something only inside one fixed window (a weight budget, an
 * order count, a refusal count), held in two generations swapped at each window boundary. A key
 * used in the current window is in `current`; one last used in the window before is moved back
 * on its next use, its object reused; at the next boundary whatever is still in `previous` was
 * untouched for a whole window, its window has ended, and it is dropped with the map. So the
 * state held is the keys used in the last two windows, not every key ever seen (with trusted
 * X-Forwarded-For every distinct address is a key), and nothing is allocated per request or
 * scanned per entry.
 *
 * The owner passes the window start it computed (the same float it stores in its entries), so a
 * rotation happens exactly when its own windows change. Dropping assumes the clock does not go
 * back into a window older than the newest one seen (the venue's and the simulator's clocks
 * only move forward).
 */
export class WindowGenerations<K, V> {
  private current = new Map<K, V>();
  private previous = new Map<K, V>();
  private windowStartMs = Number.NEGATIVE_INFINITY;

  /** @param windowMs the owner's window length (wall ms) */
  constructor(private readonly windowMs: number) {}

  /**
   * Moves to the window starting at windowStartMs; true when that is a new window (the caller
   * may sweep state of its own then). An earlier or equal start changes nothing.
   */
  advance(windowStartMs: number): boolean {
    if (windowStartMs <= this.windowStartMs) return false;
    // After a quiet stretch of two windows or more (half a window of slack for float starts),
    // the previous generation's window has ended too.
    const skipped = windowStartMs - this.windowStartMs > 1.5 * this.windowMs;
    this.windowStartMs = windowStartMs;
    const dropped = this.previous;
    dropped.clear();
    this.previous = this.current;
    this.current = dropped;
    if (skipped) this.previous.clear();
    return true;
  }

  /** The key's state, moved into the current generation if it was in the previous one. */
  get(key: K): V | undefined {
    const value = this.current.get(key);
    if (value !== undefined) return value;
    const old = this.previous.get(key);
    if (old === undefined) return undefined;
    this.previous.delete(key);
    this.current.set(key, old);
    return old;
  }

  /** The key's state without moving it (a read that is not a use). */
  peek(key: K): V | undefined {
    return this.current.get(key) ?? this.previous.get(key);
  }

  set(key: K, value: V): void {
    this.current.set(key, value);
  }

  /** Keys held (both generations). */
  get size(): number {
    return this.current.size + this.previous.size;
  }

  clear(): void {
    this.current.clear();
    this.previous.clear();
    this.windowStartMs = Number.NEGATIVE_INFINITY;
  }
}
