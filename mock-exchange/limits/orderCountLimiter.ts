import { WindowGenerations } from "./window.ts";

/**
 * Order-rate limits per account: ORDERS per 10 seconds and per minute, both fixed windows
 * aligned to their boundary, not sliding (docs/facts.md "Limits"; Binance USDⓈ-M exchangeInfo
 * `rateLimits` type ORDERS, headers X-MBX-ORDER-COUNT-10S and X-MBX-ORDER-COUNT-1M). What counts
 * (Binance USDⓈ-M "New Order" and "Modify Order": 1 on each order counter): every new order and
 * every modification; a request may count more, and differently per window ("Place Multiple
 * Orders": 5 on the 10 s counter, 1 on the minute one): `consume(account, count, now, count1m)`.
 *
 * An order refused here (429 -1015) is not counted: it was never placed, and Binance sends the
 * order-count headers on successful order responses only ("Rejected/unsuccessful orders are not
 * guaranteed to have X-MBX-ORDER-COUNT-** headers"). An order that passes counts even if the
 * engine or the capacity model refuses it later, since the limit is checked first.
 *
 * Both windows are slow loops compressed by the time scale with their budgets, as WeightLimiter's
 * (read its comment): the limits' rates (orders per second) are the venue's, windows are aligned
 * to the exchange's clock origin so a re-run meets the same boundaries. The compression stops
 * where a budget would fall below its floor (window.ts); budgets may still be fractional: a count
 * is allowed while it stays at or under the budget. An account's counters are dropped once a
 * whole minute window passed without an order from it (window.ts WindowGenerations, by the
 * minute window, which holds the 10 s ones): both its windows have ended by then.
 */

interface AccountWindows {
  start10sMs: number;
  count10s: number;
  start1mMs: number;
  count1m: number;
}

export interface OrderCountDecision {
  allowed: boolean;
  /** Orders counted in the current 10 s window (the X-MBX-ORDER-COUNT-10S value). */
  count10s: number;
  /** Orders counted in the current minute window (the X-MBX-ORDER-COUNT-1M value). */
  count1m: number;
  /** When refused: whole seconds until every window that refused has reset (Retry-After). */
  retryAfterS: number;
  /** When refused: the venue's limit that refused, as -1015 states it ("300" ... "10 SECOND"). */
  limit: number;
  interval: string;
}

export const ORDER_INTERVAL_10S = "10 SECOND";
export const ORDER_INTERVAL_1M = "1 MINUTE";

export class OrderCountLimiter {
  private readonly accounts: WindowGenerations<number, AccountWindows>;
  // One decision object reused: callers read it before the next call (no per-request allocation).
  private readonly decision: OrderCountDecision = {
    allowed: true,
    count10s: 0,
    count1m: 0,
    retryAfterS: 0,
    limit: 0,
    interval: "",
  };
  private readonly window10sMs: number;
  private readonly window1mMs: number;
  private readonly budget10s: number;
  private readonly budget1m: number;

  /**
   * @param ordersPer10s the venue's limit per natural 10 seconds
   * @param ordersPerMinute the venue's limit per natural minute
   * @param timeScale how far the windows are compressed: natural seconds per wall second (1 = real
   *   time; a drill passes limitWindowCompression, window.ts)
   * @param originMs where window 0 starts (the exchange's start)
   */
  constructor(
    readonly ordersPer10s: number,
    readonly ordersPerMinute: number,
    timeScale: number,
    private readonly originMs: number,
  ) {
    this.window10sMs = 10_000 / timeScale;
    this.window1mMs = 60_000 / timeScale;
    this.accounts = new WindowGenerations(this.window1mMs);
    this.budget10s = ordersPer10s / timeScale;
    this.budget1m = ordersPerMinute / timeScale;
  }

  private start(nowMs: number, windowMs: number): number {
    return nowMs - ((nowMs - this.originMs) % windowMs);
  }

  /**
   * Counts `count` on the account's 10 s counter and `count1m` (default: the same) on its minute
   * counter at nowMs if both have room; refuses the request otherwise, counting nothing.
   */
  consume(accountId: number, count: number, nowMs: number, count1m = count): Readonly<OrderCountDecision> {
    const a = this.windows(accountId, nowMs);
    const d = this.decision;
    const over10s = a.count10s + count > this.budget10s;
    const over1m = a.count1m + count1m > this.budget1m;
    d.allowed = !over10s && !over1m;
    if (d.allowed) {
      a.count10s += count;
      a.count1m += count1m;
      d.retryAfterS = 0;
      d.limit = 0;
      d.interval = "";
    } else {
      // Retry when every window that refused has reset; name the longer one in the message.
      const endMs = over1m ? a.start1mMs + this.window1mMs : a.start10sMs + this.window10sMs;
      d.retryAfterS = Math.max(1, Math.ceil((endMs - nowMs) / 1000));
      d.limit = over1m ? this.ordersPerMinute : this.ordersPer10s;
      d.interval = over1m ? ORDER_INTERVAL_1M : ORDER_INTERVAL_10S;
    }
    d.count10s = a.count10s;
    d.count1m = a.count1m;
    return d;
  }

  private windows(accountId: number, nowMs: number): AccountWindows {
    const start10sMs = this.start(nowMs, this.window10sMs);
    const start1mMs = this.start(nowMs, this.window1mMs);
    this.accounts.advance(start1mMs);
    let a = this.accounts.get(accountId);
    if (a === undefined) {
      a = { start10sMs, count10s: 0, start1mMs, count1m: 0 };
      this.accounts.set(accountId, a);
      return a;
    }
    if (a.start10sMs !== start10sMs) {
      a.start10sMs = start10sMs;
      a.count10s = 0;
    }
    if (a.start1mMs !== start1mMs) {
      a.start1mMs = start1mMs;
      a.count1m = 0;
    }
    return a;
  }

  /** Accounts whose counters are held (for tests of the eviction). */
  get accountsHeld(): number {
    return this.accounts.size;
  }

  reset(): void {
    this.accounts.clear();
  }
}
