/**
 * Orders by orderId and by clientOrderId, and their retention.
 *
 * Retention (`orderRetention`): Binance USDⓈ-M's Query Order stops finding a CANCELED or EXPIRED
 * order without a fill once it was created more than 3 days ago, and any order created more than
 * 90 days ago. A final order here is forgotten by the same rule (the horizons in the clock's ms,
 * the venue compresses them like its other natural-time windows), and at most `maxFinalOrders`
 * are held, the one that became final first going first: an in-memory venue cannot hold days of
 * a drill's orders. A forgotten order is answered like an unknown one; an open order is never
 * forgotten, and no orderId is handed out twice. The final orders wait in two FIFOs (one per
 * horizon) swept on the engine's own clock at the end of each operation that can end orders, and
 * a lookup applies the rule itself, so an order past its horizon is gone the moment it is,
 * whenever the sweep comes.
 */
import {
  type AccountSymbol,
  EngineCore,
  GENERATED_PREFIX,
  isOpen,
  type MatchingEngineOptions,
  type OrderRef,
  type OrderRetention,
  type SymbolState,
} from "./engineCore.ts";
import { FinalOrderQueue, OrderIndex } from "./orderIndex.ts";
import type { Order } from "./types.ts";

export abstract class OrderStore extends EngineCore {
  /** Open orders and the final ones not yet forgotten, by orderId. */
  protected readonly orders = new OrderIndex<Order>();
  protected readonly retention: OrderRetention | undefined;
  /** Final orders held, in the order they became final: no fill, and the others (two horizons). */
  protected readonly finalUnfilled = new FinalOrderQueue();
  protected readonly finalFilled = new FinalOrderQueue();
  /** Orders made final so far: the queues' sequence numbers. */
  protected finalSeq = 0;
  /** The earliest forgetAtMs of the queues' heads: no time sweep is due before it. */
  protected nextForgetMs = Number.POSITIVE_INFINITY;
  /** Whether any order carried a caller-supplied clientOrderId (else forgetting skips byClientId). */
  protected suppliedClientIds = false;
  protected readonly maxFinalOrders: number;

  constructor(opts: MatchingEngineOptions) {
    super(opts);
    const r = opts.orderRetention;
    if (
      r !== undefined &&
      !(r.unfilledMs > 0 && r.filledMs > 0 && Number.isSafeInteger(r.maxFinalOrders) && r.maxFinalOrders >= 0)
    )
      throw new Error(`bad order retention ${JSON.stringify(r)}`);
    this.retention = r;
    this.maxFinalOrders = r?.maxFinalOrders ?? Number.POSITIVE_INFINITY;
  }

  protected resolve(state: SymbolState, accountId: number, symbol: string, ref: OrderRef): Order | undefined {
    let order: Order | undefined;
    if (ref.orderId !== undefined) {
      order = this.orderById(ref.orderId);
    } else if (ref.clientOrderId !== undefined && ref.clientOrderId !== "") {
      const account = state.accounts.get(accountId);
      if (account !== undefined) order = this.byClientId(account, accountId, symbol, ref.clientOrderId);
    }
    if (order === undefined || order.accountId !== accountId || order.symbol !== symbol) return undefined;
    if (this.retention !== undefined && !isOpen(order) && this.pastHorizon(order, this.retention))
      return undefined;
    return order;
  }

  protected orderById(orderId: number): Order | undefined {
    return Number.isInteger(orderId) ? this.orders.get(orderId) : undefined;
  }

  /** Open orders and final orders not yet forgotten: what the engine holds. */
  ordersHeld(): number {
    return this.orders.size;
  }

  /** Whether a final order was created longer ago than its horizon (forgotten, swept or not). */
  protected pastHorizon(order: Order, r: OrderRetention): boolean {
    return this.now() - order.time > (order.executedLots === 0 ? r.unfilledMs : r.filledMs);
  }

  /** Queues an order that has just become final, to be forgotten by its horizon or the cap. */
  protected retire(order: Order): void {
    const r = this.retention;
    if (r === undefined) return;
    const unfilled = order.executedLots === 0;
    const queue = unfilled ? this.finalUnfilled : this.finalFilled;
    const forgetAtMs = order.time + (unfilled ? r.unfilledMs : r.filledMs);
    // Only a head sets the next sweep: an entry behind a later head waits for it (its lookups
    // already miss it: pastHorizon), which keeps the check on the hot path one comparison.
    if (queue.size === 0 && forgetAtMs < this.nextForgetMs) this.nextForgetMs = forgetAtMs;
    queue.push(order.orderId, forgetAtMs, this.finalSeq++);
  }

  /**
   * Runs a sweep when a head's horizon has passed or the final orders exceed the cap: at the end
   * of every operation that can make orders final, once its fills are reported (the reports look
   * the makers up by id), so between operations the cap holds.
   */
  protected sweepIfDue(now: number): void {
    if (now > this.nextForgetMs || this.finalUnfilled.size + this.finalFilled.size > this.maxFinalOrders)
      this.sweep(now);
  }

  /** sweepIfDue after a mark move or a funding settlement (stops and liquidations end orders too). */
  protected sweepAfterCascade(): void {
    if (this.retention !== undefined) this.sweepIfDue(this.now());
  }

  protected sweep(now: number): void {
    const unfilled = this.finalUnfilled;
    const filled = this.finalFilled;
    while (now > unfilled.headForgetAtMs()) this.forget(unfilled.shift());
    while (now > filled.headForgetAtMs()) this.forget(filled.shift());
    while (unfilled.size + filled.size > this.maxFinalOrders)
      this.forget((unfilled.headSeq() < filled.headSeq() ? unfilled : filled).shift());
    this.nextForgetMs = Math.min(unfilled.headForgetAtMs(), filled.headForgetAtMs());
  }

  /** Drops a final order from the index and from its account's clientOrderId map. */
  protected forget(orderId: number): void {
    const order = this.orders.get(orderId);
    if (order === undefined) return;
    this.orders.delete(orderId);
    if (!this.suppliedClientIds) return;
    const account = this.symbols.get(order.symbol)?.accounts.get(order.accountId);
    if (account !== undefined && account.byClientId.get(order.clientOrderId) === order)
      account.byClientId.delete(order.clientOrderId);
  }

  /**
   * The account's latest order on that symbol with that clientOrderId: the stored
   * caller-supplied one or the order whose generated id it is, whichever is newer (a caller
   * may well send a string that looks like a generated id).
   */
  protected byClientId(
    account: AccountSymbol,
    accountId: number,
    symbol: string,
    clientOrderId: string,
  ): Order | undefined {
    const supplied = account.byClientId.get(clientOrderId);
    if (!clientOrderId.startsWith(GENERATED_PREFIX)) return supplied;
    const generated = this.orderById(Number(clientOrderId.slice(GENERATED_PREFIX.length)));
    if (
      generated === undefined ||
      generated.clientOrderId !== clientOrderId ||
      generated.accountId !== accountId ||
      generated.symbol !== symbol
    )
      return supplied;
    return supplied === undefined || generated.orderId > supplied.orderId ? generated : supplied;
  }
}
