/**
 * Conditional orders (STOP_MARKET, TAKE_PROFIT_MARKET): they wait off the book until the mark
 * crosses their stop price, then run as MARKET orders.
 */

import type { AccountSymbol, SymbolState } from "./engineCore.ts";
import { Liquidation } from "./liquidation.ts";
import { marketLimit } from "./orderBook.ts";
import type { Order, StopTriggerListener } from "./types.ts";

export function isConditional(type: string): boolean {
  return type === "STOP_MARKET" || type === "TAKE_PROFIT_MARKET";
}

/** Whether a conditional order triggers at `mark`. */
export function triggers(o: Order, mark: number): boolean {
  const stop = o.stopPriceTicks as number;
  const up = (o.type === "STOP_MARKET") === (o.side === "BUY");
  return up ? mark >= stop : mark <= stop;
}

export abstract class StopOrders extends Liquidation {
  protected pendingStops = 0;
  protected readonly stopListeners: StopTriggerListener[] = [];

  /**
   * Registers a listener called once per conditional order the mark fired, after it ran (see
   * StopTriggerListener). Must not call back into the engine.
   */
  onStopTriggered(listener: StopTriggerListener): void {
    this.stopListeners.push(listener);
  }

  /** Puts an accepted conditional order on its symbol's stop list, open until it fires or is cancelled. */
  protected armStop(state: SymbolState, account: AccountSymbol, order: Order): void {
    state.stops.push(order);
    this.pendingStops++;
    account.open.set(order.orderId, order);
  }

  /** Triggered conditional orders run as MARKET, in price-time order (stop nearest the old mark first). */
  protected triggerStops(s: SymbolState): void {
    if (s.stops.length === 0) return;
    const mark = s.markTicks;
    const fired = s.stops.filter((o) => triggers(o, mark));
    if (fired.length === 0) return;
    fired.sort((a, b) => {
      const up = (a.type === "STOP_MARKET") === (a.side === "BUY");
      const d = (a.stopPriceTicks as number) - (b.stopPriceTicks as number);
      return d !== 0 ? (up ? d : -d) : a.orderId - b.orderId;
    });
    const now = this.now();
    for (const o of fired) {
      const i = s.stops.indexOf(o);
      if (i < 0) continue;
      s.stops.splice(i, 1);
      this.pendingStops--;
      const account = s.accounts.get(o.accountId) as AccountSymbol;
      const amount = account.position.amountLots;
      const reduces = amount !== 0 && amount > 0 !== (o.side === "BUY");
      if (o.reduceOnly === true) {
        if (!reduces) {
          o.status = "EXPIRED";
          o.updateTime = now;
          account.open.delete(o.orderId);
          this.retire(o);
          if (this.orderListeners.length > 0) this.orderUpdate("EXPIRED", o, undefined);
          if (this.stopListeners.length > 0) this.stopTriggered(o, mark);
          continue;
        }
        o.origLots = o.closePosition === true ? Math.abs(amount) : Math.min(o.origLots, Math.abs(amount));
      }
      o.updateTime = now;
      this.execute(s, account, o, marketLimit(o.side), now);
      if (this.stopListeners.length > 0) this.stopTriggered(o, mark);
    }
  }

  protected stopTriggered(order: Order, markTicks: number): void {
    const listeners = this.stopListeners;
    for (let i = 0; i < listeners.length; i++) (listeners[i] as StopTriggerListener)(order, markTicks);
  }
}
