/**
 * Mark price and funding: the mark ("last", or the median of index, last and index + the
 * sampled basis), the cascade a mark move sets off (triggered stops, then liquidations, which
 * may move marks again), the impact prices and the settlement of funding payments.
 */
import type { MatchingEngineOptions, SymbolState } from "./engineCore.ts";
import { StopOrders } from "./stopOrders.ts";
import type { MarkMode } from "./types.ts";

function median3(a: number, b: number, c: number): number {
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}

export abstract class MarkPrice extends StopOrders {
  protected readonly markMode: MarkMode;
  protected readonly indexFeed: ((symbol: string, now: number) => number | undefined) | undefined;
  protected readonly basisSampleMs: number;
  protected readonly basisWindow: number;
  /** Re-entrancy guard of the mark/trigger/liquidation cascade. */
  protected cascading = false;
  protected readonly dirty: SymbolState[] = [];

  constructor(opts: MatchingEngineOptions) {
    super(opts);
    this.markMode = opts.markMode ?? "last";
    this.indexFeed = opts.indexFeed;
    this.basisSampleMs = opts.basisSampleMs ?? 5000;
    this.basisWindow = opts.basisWindow ?? 12;
  }

  markPriceTicks(symbol: string): number {
    return this.stateOf(symbol).markTicks;
  }

  indexPriceTicks(symbol: string): number | undefined {
    return this.stateOf(symbol).indexTicks;
  }

  /** Sets the index (for drills and tests) and recomputes the mark, triggering stops and liquidations. */
  setIndexPrice(symbol: string, ticks: number): void {
    const state = this.stateOf(symbol);
    state.indexTicks = ticks;
    this.afterChange(state);
    this.sweepAfterCascade();
  }

  /** Recomputes the mark now (e.g. after the index feed moved). */
  refreshMark(symbol: string): void {
    this.afterChange(this.stateOf(symbol));
    this.sweepAfterCascade();
  }

  /** Recomputes the mark of `state`; on a change, triggers stops and liquidates. Re-entrant safe. */
  protected afterChange(state: SymbolState): void {
    if (this.cascading) {
      if (!this.dirty.includes(state)) this.dirty.push(state);
      return;
    }
    if (this.markMode === "last" && this.pendingStops === 0 && this.checkedAccounts === 0) {
      state.markTicks = state.book.lastPriceTicks;
      return;
    }
    this.cascading = true;
    try {
      this.dirty.push(state);
      for (let guard = 0; this.dirty.length > 0 && guard < 100_000; guard++) {
        const s = this.dirty.shift() as SymbolState;
        const before = s.markTicks;
        s.markTicks = this.computeMark(s);
        if (s.markTicks === before) continue;
        this.triggerStops(s);
        if (this.checkedAccounts > 0) this.liquidateAll(s);
      }
    } finally {
      this.cascading = false;
      this.dirty.length = 0;
    }
  }

  protected computeMark(s: SymbolState): number {
    const last = s.book.lastPriceTicks;
    if (this.markMode === "last") return last;
    const now = this.now();
    const fed = this.indexFeed?.(s.spec.symbol, now);
    if (fed !== undefined) s.indexTicks = fed;
    const index = s.indexTicks;
    if (index === undefined) return last;
    if (now - s.lastBasisSample >= this.basisSampleMs) {
      const bid = s.book.bestBid();
      const ask = s.book.bestAsk();
      const mid = bid !== undefined && ask !== undefined ? (bid + ask) / 2 : last;
      s.basis.push(mid - index);
      if (s.basis.length > this.basisWindow) s.basis.shift();
      s.lastBasisSample = now;
    }
    let avg = 0;
    for (const b of s.basis) avg += b;
    if (s.basis.length > 0) avg /= s.basis.length;
    return Math.round(median3(index, last, index + avg));
  }

  /**
   * Sets a collateral asset's oracle price (cash units per unit) and revalues every holder;
   * then, like settleFunding, liquidates the accounts whose margin no longer covers their
   * maintenance and lets marks move and the cascade run after their trades. Called during a
   * cascade (by a seizer whose sale moved the oracle), it only revalues: the scan under way goes
   * on with the new value, and wallets it already passed wait for the next trigger.
   */
  setCollateralPrice(asset: string, cashPerUnit: number): void {
    this.revalueCollateral(asset, cashPerUnit);
    if (this.cascading) return;
    this.liquidateUnderGuard(undefined);
    this.sweepAfterCascade();
  }

  /**
   * Average price (fractional ticks) of selling (`"bids"`) or buying (`"asks"`) `notionalCash`
   * worth on the book now: the impact bid / ask of the funding premium (engine/funding.ts).
   */
  impactPriceTicks(symbol: string, side: "bids" | "asks", notionalCash: number): number | undefined {
    const state = this.stateOf(symbol);
    return state.book.impactPriceTicks(side, notionalCash / state.cashPerTickLot);
  }

  /**
   * Pays funding on `symbol` at `rateE8` (1e-8 units, engine/funding.ts): every position pays
   * notional at the mark x rate (rate > 0: longs pay shorts, < 0: shorts pay longs). Positions
   * sum to zero, so the payments do too before rounding; payers are rounded up and receivers
   * down to whole cash units, and the dust (>= 0) goes to the insurance fund, so cash stays
   * conserved exactly. Then, like a mark move, accounts whose margin no longer covers their
   * maintenance are liquidated. Returns what was paid and received, cash units.
   */
  settleFunding(symbol: string, rateE8: number): { paid: number; received: number } {
    const state = this.stateOf(symbol);
    let paid = 0;
    let received = 0;
    if (rateE8 !== 0) {
      const rate = BigInt(rateE8);
      const mark = BigInt(state.markTicks);
      const c = BigInt(state.cashPerTickLot);
      const scale = 100_000_000n;
      for (const account of state.accounts.values()) {
        const amount = account.position.amountLots;
        if (amount === 0) continue;
        const raw = BigInt(amount) * mark * c * rate; // > 0: this account pays
        if (raw > 0n) {
          const pay = Number((raw + scale - 1n) / scale);
          account.wallet.cash -= pay;
          paid += pay;
        } else {
          const get = Number(-raw / scale);
          account.wallet.cash += get;
          received += get;
        }
      }
      this.fund += paid - received;
    }
    if (!this.cascading) this.liquidateUnderGuard(state);
    this.sweepAfterCascade();
    return { paid, received };
  }

  /**
   * The liquidation scan after a margin change other than a mark move (funding, a collateral
   * price), under the cascade guard; then the marks its trades moved, and their cascade.
   */
  protected liquidateUnderGuard(trigger: SymbolState | undefined): void {
    if (this.checkedAccounts === 0) return;
    this.cascading = true;
    try {
      this.liquidateAll(trigger);
    } finally {
      this.cascading = false;
    }
    // Liquidations traded: let marks move and the cascade run as after any trade.
    for (const s of this.dirty.splice(0)) this.afterChange(s);
  }
}
