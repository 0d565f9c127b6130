/**
 * The matching engine: one order book per symbol, its orders (by id and by clientOrderId: every
 * open one, and final ones until their retention horizon, orderStore.ts), and each account's
 * one-way position per symbol. This file is order entry (submit, modify, cancel, matching and
 * what happens to the remainder) and the read side; the layers it stands on are described in
 * engineCore.ts, with the engine's conventions (live objects, integer cash).
 */

import {
  type AccountSymbol,
  err,
  flatPosition,
  GENERATED_PREFIX,
  isOpen,
  type OrderRef,
  type PlaceResult,
  type SymbolState,
} from "./engineCore.ts";
import { MarkPrice } from "./markPrice.ts";
import { type Depth, marketLimit } from "./orderBook.ts";
import { isConditional, triggers } from "./stopOrders.ts";
import {
  type EngineError,
  type Fill,
  LEGACY_ERROR_CODES,
  type Order,
  type OrderErrorCode,
  type PlaceOrderInput,
  type Position,
} from "./types.ts";

export { applyFillToPosition } from "./accounts.ts";
export {
  isEngineError,
  isOpen,
  type MatchingEngineOptions,
  type OrderRef,
  type OrderRetention,
  type PlaceResult,
} from "./engineCore.ts";

const UNKNOWN_ORDER: EngineError = Object.freeze({ error: "UNKNOWN_ORDER" });
const NO_SUCH_ORDER: EngineError = Object.freeze({ error: "NO_SUCH_ORDER" });
const DUPLICATE_CLIENT_ORDER_ID: EngineError = Object.freeze({ error: "DUPLICATE_CLIENT_ORDER_ID" });
const POST_ONLY_WOULD_TAKE: EngineError = Object.freeze({ error: "POST_ONLY_WOULD_TAKE" });
const FOK_NOT_FILLABLE: EngineError = Object.freeze({ error: "FOK_NOT_FILLABLE" });
const EMPTY_FILLS: readonly Fill[] = Object.freeze([]);

export class MatchingEngine extends MarkPrice {
  /**
   * Places an order (the original entry point, kept for the HTTP layer). Same as submitOrder;
   * the newer rejections can only happen when the caller uses the newer features
   * (createAccount, minNotional, reduceOnly, conditional types), so they throw here.
   */
  placeOrder(input: PlaceOrderInput): PlaceResult | EngineError {
    const res = this.submitOrder(input);
    if ("error" in res && !LEGACY_ERROR_CODES.has(res.error))
      throw new Error(`placeOrder got ${res.error}: use submitOrder for the newer order features`);
    return res as PlaceResult | EngineError;
  }

  /**
   * Places an order. The caller validated formats: lots > 0 (unless closePosition),
   * priceTicks > 0 for LIMIT, stopPriceTicks > 0 for conditional types, known symbol (an
   * unknown one throws, as a programming error).
   * MARKET orders never rest: their remainder expires whatever the time in force, except
   * that FOK still means all-or-nothing. GTX with MARKET is treated like IOC.
   * Rejections change nothing and consume no orderId.
   */
  submitOrder(input: PlaceOrderInput): PlaceResult | EngineError<OrderErrorCode> {
    const state = this.stateOf(input.symbol);
    const conditional = isConditional(input.type);
    const closePosition = input.closePosition === true;
    const reduceOnly = input.reduceOnly === true || closePosition;
    if (closePosition && !conditional) return err("INVALID_ORDER");
    if (conditional && !((input.stopPriceTicks ?? 0) > 0)) return err("INVALID_ORDER");
    const isMarket = input.type !== "LIMIT";
    const limit = isMarket ? marketLimit(input.side) : input.priceTicks;

    let account = state.accounts.get(input.accountId);
    if (input.clientOrderId !== "" && account !== undefined) {
      const previous = this.byClientId(account, input.accountId, input.symbol, input.clientOrderId);
      if (previous !== undefined && isOpen(previous)) return DUPLICATE_CLIENT_ORDER_ID;
    }
    const lots = conditional
      ? this.conditionalLots(state, input, reduceOnly, closePosition)
      : this.immediateLots(state, account, input, reduceOnly, limit);
    if (typeof lots !== "number") return lots;

    const now = this.now();
    const order = this.newOrder(input, lots, reduceOnly, now);
    if (account === undefined) account = this.accountOf(state, input.accountId);
    this.orders.append(order.orderId, order);
    if (input.clientOrderId !== "") {
      account.byClientId.set(input.clientOrderId, order);
      this.suppliedClientIds = true;
    }

    if (conditional) {
      this.armStop(state, account, order);
      if (this.orderListeners.length > 0) this.orderUpdate("NEW", order, undefined);
      return { order, fills: EMPTY_FILLS };
    }
    if (this.orderListeners.length > 0) this.orderUpdate("NEW", order, undefined);
    const result = this.execute(state, account, order, limit, now);
    this.sweepIfDue(now);
    return result;
  }

  /** The quantity a conditional order waits with (0 for closePosition: set when it fires), or why it is refused. */
  private conditionalLots(
    state: SymbolState,
    input: PlaceOrderInput,
    reduceOnly: boolean,
    closePosition: boolean,
  ): number | EngineError<OrderErrorCode> {
    const probe = { type: input.type, side: input.side, stopPriceTicks: input.stopPriceTicks } as Order;
    if (triggers(probe, state.markTicks)) return err("WOULD_IMMEDIATELY_TRIGGER");
    if (closePosition) return 0;
    if (
      !reduceOnly &&
      state.minNotional > 0 &&
      input.lots * (input.stopPriceTicks as number) < state.minNotional
    )
      return err("MIN_NOTIONAL");
    return input.lots;
  }

  /**
   * The quantity an order that trades now goes in with (a reduce-only one shrunk to the
   * position), or why it is refused: the book's FOK and post-only checks, min notional, margin.
   */
  private immediateLots(
    state: SymbolState,
    account: AccountSymbol | undefined,
    input: PlaceOrderInput,
    reduceOnly: boolean,
    limit: number,
  ): number | EngineError<OrderErrorCode> {
    const book = state.book;
    const isMarket = input.type !== "LIMIT";
    let lots = input.lots;
    if (reduceOnly) {
      const amount = account?.position.amountLots ?? 0;
      if (amount === 0 || amount > 0 === (input.side === "BUY")) return err("REDUCE_ONLY_REJECTED");
      lots = Math.min(lots, Math.abs(amount));
    }
    if (input.timeInForce === "FOK" && book.fillableLots(input.side, limit, lots) < lots)
      return FOK_NOT_FILLABLE;
    if (input.timeInForce === "GTX" && !isMarket && book.wouldTake(input.side, limit))
      return POST_ONLY_WOULD_TAKE;
    if (reduceOnly) return lots;
    if (state.minNotional > 0) {
      const px = isMarket ? state.markTicks : input.priceTicks;
      if (lots * px < state.minNotional) return err("MIN_NOTIONAL");
    }
    if (this.checkedAccounts > 0) {
      const w = this.wallets.get(input.accountId);
      if (
        w?.checked === true &&
        !this.marginAllows(w, state, account, input.side, lots, isMarket ? state.markTicks : limit)
      )
        return err("MARGIN_INSUFFICIENT");
    }
    return lots;
  }

  /** A new order with the next orderId (accepted: rejections consume none). */
  private newOrder(input: PlaceOrderInput, lots: number, reduceOnly: boolean, now: number): Order {
    const orderId = this.nextOrderId++;
    const isMarket = input.type !== "LIMIT";
    return {
      orderId,
      clientOrderId: input.clientOrderId === "" ? GENERATED_PREFIX + orderId : input.clientOrderId,
      accountId: input.accountId,
      symbol: input.symbol,
      side: input.side,
      type: input.type,
      timeInForce: input.timeInForce,
      priceTicks: isMarket ? 0 : input.priceTicks,
      origLots: lots,
      executedLots: 0,
      cumQuoteTicksLots: 0,
      status: "NEW",
      reduceOnly,
      closePosition: input.closePosition === true,
      stopPriceTicks: isConditional(input.type) ? (input.stopPriceTicks as number) : 0,
      liquidation: false,
      time: now,
      updateTime: now,
    };
  }

  /**
   * Matches `order` (new, or re-priced by a modify) at `limit`, then rests or expires the
   * remainder, settles the fills and runs the mark/trigger/liquidation cascade.
   */
  protected execute(
    state: SymbolState,
    account: AccountSymbol,
    order: Order,
    limit: number,
    now: number,
  ): PlaceResult {
    const book = state.book;
    const isMarket = order.type !== "LIMIT";
    const postOnly = order.timeInForce === "GTX" && !isMarket;
    const fills: Fill[] = [];
    if (!postOnly) book.match(order, limit, now, fills);

    if (order.executedLots === order.origLots) {
      order.status = "FILLED";
      account.open.delete(order.orderId);
      this.retire(order);
    } else if (!isMarket && (order.timeInForce === "GTC" || postOnly)) {
      order.status = order.executedLots > 0 ? "PARTIALLY_FILLED" : "NEW";
      book.rest(order);
      account.open.set(order.orderId, order);
      if (order.reduceOnly === true) account.hasReduceOnly = true;
    } else {
      order.status = "EXPIRED";
      account.open.delete(order.orderId);
      this.retire(order);
    }

    if (fills.length > 0) this.settle(state, order, fills, now);
    // After its fills, before the cascade they may set off: one order's updates stay together.
    if (order.status === "EXPIRED" && this.orderListeners.length > 0)
      this.orderUpdate("EXPIRED", order, undefined);
    if (fills.length > 0) this.afterChange(state);
    return { order, fills };
  }

  /**
   * PUT: new price and quantity for a resting LIMIT order of that account. Keeps time
   * priority when the price is unchanged and the quantity does not grow; otherwise the
   * order is re-priced: it may trade as a taker (GTC) and rests at the back of its level.
   * lots is the new total quantity and must exceed what is already executed.
   */
  modifyOrder(
    accountId: number,
    symbol: string,
    ref: OrderRef,
    change: { priceTicks: number; lots: number },
  ): PlaceResult | EngineError<OrderErrorCode> {
    const state = this.symbols.get(symbol);
    if (state === undefined) return UNKNOWN_ORDER;
    const order = this.resolve(state, accountId, symbol, ref);
    if (order === undefined || !isOpen(order)) return UNKNOWN_ORDER;
    if (order.type !== "LIMIT" || !(change.lots > order.executedLots) || !(change.priceTicks > 0))
      return err("MODIFY_NOT_ALLOWED");
    const account = state.accounts.get(accountId) as AccountSymbol;
    const remaining = change.lots - order.executedLots;
    if (
      order.reduceOnly !== true &&
      state.minNotional > 0 &&
      change.lots * change.priceTicks < state.minNotional
    )
      return err("MIN_NOTIONAL");
    const samePrice = change.priceTicks === order.priceTicks;
    if (order.timeInForce === "GTX" && !samePrice && state.book.wouldTake(order.side, change.priceTicks))
      return POST_ONLY_WOULD_TAKE;
    if (order.reduceOnly !== true && this.checkedAccounts > 0) {
      const w = account.wallet;
      const before = (order.origLots - order.executedLots) * order.priceTicks;
      const extra = remaining * change.priceTicks - before;
      if (w.checked && extra > 0 && !this.marginAllows(w, state, account, order.side, 0, 0, extra))
        return err("MARGIN_INSUFFICIENT");
    }
    const now = this.now();
    if (samePrice && change.lots <= order.origLots) {
      if (change.lots !== order.origLots) state.book.resize(order.orderId, change.lots);
      order.updateTime = now;
      if (this.orderListeners.length > 0) this.orderUpdate("AMENDMENT", order, undefined);
      return { order, fills: EMPTY_FILLS };
    }
    state.book.remove(order.orderId);
    order.priceTicks = change.priceTicks;
    order.origLots = change.lots;
    order.updateTime = now;
    if (this.orderListeners.length > 0) this.orderUpdate("AMENDMENT", order, undefined);
    const result = this.execute(state, account, order, change.priceTicks, now);
    this.sweepIfDue(now);
    return result;
  }

  /** Cancels a resting (or pending conditional) order of that account; anything else is UNKNOWN_ORDER. */
  cancelOrder(accountId: number, symbol: string, ref: OrderRef): Readonly<Order> | EngineError {
    const state = this.symbols.get(symbol);
    if (state === undefined) return UNKNOWN_ORDER;
    const order = this.resolve(state, accountId, symbol, ref);
    if (order === undefined || !isOpen(order)) return UNKNOWN_ORDER;
    const now = this.now();
    this.finish(state, order, "CANCELED", now);
    this.sweepIfDue(now);
    return order;
  }

  /** Cancels every open order (resting and conditional) of the account on the symbol. */
  cancelAll(accountId: number, symbol: string): Readonly<Order>[] {
    const state = this.symbols.get(symbol);
    const account = state?.accounts.get(accountId);
    if (state === undefined || account === undefined) return [];
    const now = this.now();
    const out = [...account.open.values()];
    for (const o of out) this.finish(state, o, "CANCELED", now);
    this.sweepIfDue(now);
    return out;
  }

  /** Takes an open order out of the book / stop list and gives it a final status. */
  protected finish(state: SymbolState, order: Order, status: "CANCELED" | "EXPIRED", now: number): void {
    if (isConditional(order.type) && order.executedLots === 0) {
      const i = state.stops.indexOf(order);
      if (i >= 0) {
        state.stops.splice(i, 1);
        this.pendingStops--;
      }
    } else {
      state.book.remove(order.orderId);
    }
    order.status = status;
    order.updateTime = now;
    state.accounts.get(order.accountId)?.open.delete(order.orderId);
    this.retire(order);
    if (this.orderListeners.length > 0) this.orderUpdate(status, order, undefined);
  }

  /**
   * Any order of that account on that symbol, final ones included until forgotten (see
   * retention). `orderId` wins when both references are given (as on Binance). Another
   * account's order is NO_SUCH_ORDER, exactly like a missing or forgotten one, so ids never leak.
   */
  getOrder(accountId: number, symbol: string, ref: OrderRef): Readonly<Order> | EngineError {
    const state = this.symbols.get(symbol);
    if (state === undefined) return NO_SUCH_ORDER;
    return this.resolve(state, accountId, symbol, ref) ?? NO_SUCH_ORDER;
  }

  /** Open orders of the account (resting and pending conditional), by symbol (in spec order) then orderId. */
  openOrders(accountId: number, symbol?: string): Readonly<Order>[] {
    const out: Order[] = [];
    for (const state of this.statesFor(symbol)) {
      const account = state.accounts.get(accountId);
      if (account === undefined) continue;
      for (const order of account.open.values()) out.push(order);
    }
    out.sort((a, b) => (a.symbol === b.symbol ? a.orderId - b.orderId : 0));
    return out;
  }

  /**
   * One position per known symbol (flat ones included), or only `symbol` ([] if unknown).
   * Accounts that never traded a symbol get a fresh flat object, not a stored one.
   */
  positions(accountId: number, symbol?: string): Readonly<Position>[] {
    const out: Position[] = [];
    for (const state of this.statesFor(symbol)) {
      out.push(state.accounts.get(accountId)?.position ?? flatPosition(state.spec.symbol));
    }
    return out;
  }

  /** At most `limit` levels per side, best first: bids descending, asks ascending. */
  depth(symbol: string, limit: number): Depth {
    return this.stateOf(symbol).book.depth(limit);
  }

  /** Last trade price in ticks; the reference price before the first trade. */
  lastPriceTicks(symbol: string): number {
    return this.stateOf(symbol).book.lastPriceTicks;
  }
}
