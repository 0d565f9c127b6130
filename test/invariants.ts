import {
  isEngineError,
  type MatchingEngine,
  type OrderRetention,
} from "../mock-exchange/engine/matchingEngine.ts";
import type { Order } from "../mock-exchange/engine/types.ts";

/**
 * The engine's invariants (issue "bad input, isolation and fuzz"; README "Engine"), checked on a
 * live MatchingEngine: by the engine property test after every operation and by the HTTP fuzz test
 * after thousands of random requests. Plain throws, not vitest's expect: this runs per step.
 *
 * 1. Per symbol the book is never crossed after matching (best bid < best ask), levels sorted.
 * 2. Per symbol the positions of all accounts sum to zero (every fill has two sides; the
 *    liquidation engine and auto-deleveraging close against accounts too).
 * 3. Cash is conserved exactly: Σ wallets + Σ unrealised + fees + insurance fund = deposits.
 * 4. Every acknowledged order is in exactly one valid state, is found by getOrder (its owner, its
 *    symbol), is open iff openOrders lists it, and its quantities add up; the book holds exactly
 *    the open LIMIT orders' remaining lots, per side. An engine with a retention
 *    (engine/orderStore.ts "Retention") may forget a final order, and only then: given a
 *    RetentionTracker, an order not found must have been seen final and be past its horizon, or
 *    at least maxFinalOrders orders must have become final after it.
 */

/** What identifies an acknowledged order: its id, its owner and its symbol. */
export interface OrderKey {
  orderId: number;
  accountId: number;
  symbol: string;
}

export const ORDER_STATUSES: ReadonlySet<string> = new Set([
  "NEW",
  "PARTIALLY_FILLED",
  "FILLED",
  "CANCELED",
  "EXPIRED",
]);

export const isOpenStatus = (s: string): boolean => s === "NEW" || s === "PARTIALLY_FILLED";

export function ok(cond: boolean, what: string): asserts cond {
  if (!cond) throw new Error(`invariant violated: ${what}`);
}

/**
 * What the invariant check remembers between calls on an engine with a retention, to tell a
 * forgotten order from a lost one. It keeps the engine's live Order objects (engine/engineCore.ts
 * hands them out), so it knows an order's state after the engine let it go: `track` every order
 * the engine makes (onOrderUpdate's NEW, liquidations' included). Each call of
 * checkEngineInvariants is one epoch; an order's final epoch is the first call that saw it final,
 * or the current one for an order that became final (and may have gone) in the last operation.
 */
export class RetentionTracker {
  private epoch = 0;
  private readonly orders = new Map<number, { order: Readonly<Order>; finalEpoch: number }>();

  constructor(
    readonly retention: OrderRetention,
    private readonly now: () => number,
  ) {}

  track(o: Readonly<Order>): void {
    if (!this.orders.has(o.orderId))
      this.orders.set(o.orderId, { order: o, finalEpoch: Number.POSITIVE_INFINITY });
  }

  /** An order the engine still holds, as getOrder returned it. */
  record(o: Readonly<Order>): void {
    this.track(o);
    const s = this.orders.get(o.orderId) as { finalEpoch: number };
    if (!isOpenStatus(o.status) && s.finalEpoch === Number.POSITIVE_INFINITY) s.finalEpoch = this.epoch;
  }

  /**
   * Whether the engine may have forgotten this order by now: final, and past its horizon (counted
   * from its creation, so an order cancelled after it is gone at once), or at least
   * maxFinalOrders other orders became final no earlier than it (ties within one operation
   * count: the checker cannot order them).
   */
  mayBeForgotten(orderId: number): boolean {
    const s = this.orders.get(orderId);
    if (s === undefined || isOpenStatus(s.order.status)) return false;
    const r = this.retention;
    const o = s.order;
    if (this.now() - o.time > (o.executedLots === 0 ? r.unfilledMs : r.filledMs)) return true;
    // Gone before any check saw it final: it became final in the last operation.
    if (s.finalEpoch === Number.POSITIVE_INFINITY) s.finalEpoch = this.epoch;
    const epoch = s.finalEpoch;
    let finalSince = 0;
    for (const other of this.orders.values())
      if (other !== s && !isOpenStatus(other.order.status) && Math.min(other.finalEpoch, this.epoch) >= epoch)
        finalSince++;
    return finalSince >= r.maxFinalOrders;
  }

  nextEpoch(): void {
    this.epoch++;
  }
}

/**
 * Throws on the first violated invariant. `accountIds` must name every account that can hold a
 * position or an order (for a venue: the house account 0 too), `acked` the orders to look up.
 */
export function checkEngineInvariants(
  ex: MatchingEngine,
  symbols: readonly string[],
  accountIds: readonly number[],
  acked: Iterable<OrderKey>,
  retention?: RetentionTracker,
): void {
  const open = new Map<number, { accountId: number; symbol: string }>();
  for (const symbol of symbols) {
    const d = ex.depth(symbol, 1_000_000);
    checkBookOrdered(symbol, d);
    const lots = checkAccountsOfSymbol(ex, symbol, accountIds, open);
    checkBookHoldsOpenLimits(symbol, d, lots);
  }
  checkCashConserved(ex);
  for (const k of acked) checkAckedOrder(ex, k, open, retention);
  retention?.nextEpoch();
}

type Depth = ReturnType<MatchingEngine["depth"]>;

/** Invariant 1: not crossed, bids descending, asks ascending. */
function checkBookOrdered(symbol: string, d: Depth): void {
  const bid = d.bids[0]?.[0];
  const ask = d.asks[0]?.[0];
  if (bid !== undefined && ask !== undefined) ok(bid < ask, `${symbol} book crossed: ${bid} >= ${ask}`);
  const price = (levels: Array<[number, number]>, i: number) => (levels[i] as [number, number])[0];
  for (let i = 1; i < d.bids.length; i++)
    ok(price(d.bids, i) < price(d.bids, i - 1), `${symbol} bids descending`);
  for (let i = 1; i < d.asks.length; i++)
    ok(price(d.asks, i) > price(d.asks, i - 1), `${symbol} asks ascending`);
}

/**
 * Invariant 2, and the open-order half of 4: positions sum to zero and openOrders lists only
 * the account's open orders of the symbol (recorded in `open`). Returns the open LIMIT orders'
 * remaining lots per side.
 */
function checkAccountsOfSymbol(
  ex: MatchingEngine,
  symbol: string,
  accountIds: readonly number[],
  open: Map<number, { accountId: number; symbol: string }>,
): { bidLots: number; askLots: number } {
  let sum = 0;
  let bidLots = 0;
  let askLots = 0;
  for (const accountId of accountIds) {
    sum += ex.positions(accountId, symbol)[0]?.amountLots ?? 0;
    for (const o of ex.openOrders(accountId, symbol)) {
      ok(
        o.accountId === accountId && o.symbol === symbol && isOpenStatus(o.status),
        `openOrders(${accountId}, ${symbol}) lists order ${o.orderId} (${o.status})`,
      );
      open.set(o.orderId, { accountId, symbol });
      if (o.type !== "LIMIT") continue;
      if (o.side === "BUY") bidLots += o.origLots - o.executedLots;
      else askLots += o.origLots - o.executedLots;
    }
  }
  ok(sum === 0, `${symbol} positions sum to ${sum}`);
  return { bidLots, askLots };
}

/** Invariant 4's last part: the book holds exactly the open LIMIT orders' remaining lots. */
function checkBookHoldsOpenLimits(
  symbol: string,
  d: Depth,
  lots: { bidLots: number; askLots: number },
): void {
  let depthBids = 0;
  let depthAsks = 0;
  for (const [, n] of d.bids) depthBids += n;
  for (const [, n] of d.asks) depthAsks += n;
  ok(
    depthBids === lots.bidLots && depthAsks === lots.askLots,
    `${symbol} depth ${depthBids}/${depthAsks} lots = open LIMIT orders' remaining ${lots.bidLots}/${lots.askLots}`,
  );
}

/** Invariant 3: integer cash, conserved exactly. */
function checkCashConserved(ex: MatchingEngine): void {
  const l = ex.ledger();
  ok(
    Number.isSafeInteger(l.wallets) && Number.isSafeInteger(l.fees) && Number.isSafeInteger(l.insuranceFund),
    "integer cash",
  );
  ok(
    l.wallets + l.unrealized + l.fees + l.insuranceFund === l.deposits,
    `cash conserved: ${l.wallets} + ${l.unrealized} + ${l.fees} + ${l.insuranceFund} != ${l.deposits}`,
  );
}

/** Invariant 4 for one acknowledged order: found, itself, a valid state, open iff listed, sound quantities. */
function checkAckedOrder(
  ex: MatchingEngine,
  k: OrderKey,
  open: ReadonlyMap<number, { accountId: number; symbol: string }>,
  retention: RetentionTracker | undefined,
): void {
  const o = ex.getOrder(k.accountId, k.symbol, { orderId: k.orderId });
  if (isEngineError(o) && retention?.mayBeForgotten(k.orderId) === true) {
    ok(!open.has(k.orderId), `forgotten order ${k.orderId} is not listed open`);
    return;
  }
  ok(!isEngineError(o), `acknowledged order ${k.orderId} not found by its owner`);
  retention?.record(o);
  ok(
    o.orderId === k.orderId && o.accountId === k.accountId && o.symbol === k.symbol,
    `order ${k.orderId} resolves to itself`,
  );
  ok(ORDER_STATUSES.has(o.status), `order ${k.orderId} has a valid status (${o.status})`);
  ok(isOpenStatus(o.status) === open.has(o.orderId), `order ${k.orderId} is open iff openOrders lists it`);
  ok(
    o.executedLots >= 0 &&
      o.executedLots <= o.origLots &&
      (o.status === "FILLED") === (o.origLots > 0 && o.executedLots === o.origLots),
    `order ${k.orderId} quantities (${o.status} ${o.executedLots}/${o.origLots})`,
  );
}
