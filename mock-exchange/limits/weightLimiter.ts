import { WindowGenerations } from "./window.ts";

/**
 * Request-weight limit per client IP, in fixed windows aligned to the minute boundary, not
 * sliding (Binance USDⓈ-M "General Info: Limits"; docs/facts.md). Every request's weight counts,
 * including the ones refused, as the venue's X-MBX-USED-WEIGHT-1M header shows. A request of
 * weight 0 (a new order: it counts on the order limits instead) is never refused here.
 *
 * The one-minute window is a slow loop: a drill compresses it by its time scale, and the budget
 * with it, so the limit's rate (weight per second) is the venue's while a client locked out
 * for the rest of a natural minute is locked out for the same share of the compressed minute
 * (docs/architecture.md "Two clocks"; limits/window.ts caps the compression so budgets keep a floor). Windows are aligned to the exchange's clock origin so that a re-run
 * meets the same boundaries. A client's state is dropped once its window has ended and a whole
 * window passed without a request from it (window.ts WindowGenerations): its next request starts
 * from nothing, exactly as a new window would.
 */

interface ClientWindow {
  windowStartMs: number;
  used: number;
}

export interface WeightDecision {
  allowed: boolean;
  /** Weight used in the current window including this request (the X-MBX-USED-WEIGHT-1M value). */
  usedWeight: number;
  /** Whole seconds until the window resets; the Retry-After value when refused. */
  retryAfterS: number;
}

export class WeightLimiter {
  private readonly clients: WindowGenerations<string, ClientWindow>;
  // One decision object reused: callers read it before the next call (no per-request allocation).
  private readonly decision: WeightDecision = { allowed: true, usedWeight: 0, retryAfterS: 0 };

  private readonly windowMs: number;
  private readonly budget: number;

  /**
   * @param weightPerMinute the venue's limit per natural minute
   * @param timeScale how far the window is compressed: natural seconds per wall second (1 = real
   *   time; a drill passes limitWindowCompression, window.ts)
   * @param originMs where window 0 starts (the exchange's start)
   */
  constructor(
    private readonly weightPerMinute: number,
    timeScale: number,
    private readonly originMs: number,
  ) {
    this.windowMs = 60_000 / timeScale;
    this.budget = weightPerMinute / timeScale;
    this.clients = new WindowGenerations(this.windowMs);
  }

  /** The venue's limit per (natural) minute, as exchangeInfo and error messages state it. */
  get limit(): number {
    return this.weightPerMinute;
  }

  private windowStart(nowMs: number): number {
    return nowMs - ((nowMs - this.originMs) % this.windowMs);
  }

  consume(clientKey: string, weight: number, nowMs: number): Readonly<WeightDecision> {
    const windowStartMs = this.windowStart(nowMs);
    this.clients.advance(windowStartMs);
    let client = this.clients.get(clientKey);
    if (client === undefined) {
      client = { windowStartMs, used: 0 };
      this.clients.set(clientKey, client);
    } else if (client.windowStartMs !== windowStartMs) {
      client.windowStartMs = windowStartMs;
      client.used = 0;
    }
    client.used += weight;
    const d = this.decision;
    d.usedWeight = client.used;
    d.allowed = weight === 0 || client.used <= this.budget;
    d.retryAfterS = Math.max(1, Math.ceil((windowStartMs + this.windowMs - nowMs) / 1000));
    return d;
  }

  /** Weight used by a client in the window containing nowMs (0 if none). */
  used(clientKey: string, nowMs: number): number {
    const client = this.clients.peek(clientKey);
    if (client === undefined || client.windowStartMs !== this.windowStart(nowMs)) return 0;
    return client.used;
  }

  /** Clients whose state is held (for tests of the eviction; not a count of active clients). */
  get clientsHeld(): number {
    return this.clients.size;
  }

  reset(): void {
    this.clients.clear();
  }
}
