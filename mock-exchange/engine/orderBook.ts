/**
 * One symbol's limit order book with price-time priority.
 *
 * The book only knows resting orders and how to match a taker against them. It mutates
 * the `Order` objects it is given (executedLots, cumQuoteTicksLots, status, updateTime)
 * so the exchange and the book always share one truth about an order without copying.
 * Accounts, positions and order lookup by id/clientOrderId live in `MatchingEngine` (matchingEngine.ts and the layers under it).
 */
import type { Fill, Order, Side } from "./types.ts";

class OrderNode {
  prev: OrderNode | null = null;
  next: OrderNode | null = null;
  constructor(
    readonly order: Order,
    readonly level: PriceLevel,
  ) {}
}

/** FIFO of resting orders at one price: a doubly linked list so a cancel is O(1). */
class PriceLevel {
  head: OrderNode | null = null;
  tail: OrderNode | null = null;
  /** Kept incrementally so depth and FOK checks never walk the orders. */
  totalLots = 0;
  constructor(readonly priceTicks: number) {}

  append(node: OrderNode): void {
    node.prev = this.tail;
    node.next = null;
    if (this.tail === null) this.head = node;
    else this.tail.next = node;
    this.tail = node;
  }

  unlink(node: OrderNode): void {
    if (node.prev === null) this.head = node.next;
    else node.prev.next = node.next;
    if (node.next === null) this.tail = node.prev;
    else node.next.prev = node.prev;
    node.prev = null;
    node.next = null;
  }
}

/**
 * One side's price levels, sorted by a key in which "better" is always "larger":
 * key = price for bids, −price for asks. The best level is then the LAST element, so
 * consuming it during a sweep is an O(1) pop, and new orders (mostly near the touch)
 * splice close to the end of the array.
 */
class BookSide {
  private readonly keys: number[] = [];
  private readonly levels: PriceLevel[] = [];

  constructor(private readonly sign: 1 | -1) {}

  get levelCount(): number {
    return this.levels.length;
  }

  best(): PriceLevel | undefined {
    return this.levels[this.levels.length - 1];
  }

  /** i-th best level (0 = best). */
  nth(i: number): PriceLevel | undefined {
    return this.levels[this.levels.length - 1 - i];
  }

  popBest(): void {
    this.keys.pop();
    this.levels.pop();
  }

  /** Lower bound: first index whose key is >= `key`. */
  private search(key: number): number {
    const keys = this.keys;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((keys[mid] as number) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  levelFor(priceTicks: number): PriceLevel {
    const key = this.sign * priceTicks;
    const i = this.search(key);
    if (i < this.keys.length && this.keys[i] === key) return this.levels[i] as PriceLevel;
    const level = new PriceLevel(priceTicks);
    this.keys.splice(i, 0, key);
    this.levels.splice(i, 0, level);
    return level;
  }

  removeLevel(level: PriceLevel): void {
    const i = this.search(this.sign * level.priceTicks);
    if (this.levels[i] === level) {
      this.keys.splice(i, 1);
      this.levels.splice(i, 1);
    }
  }
}

/** Aggregated levels, best first: [priceTicks, totalLots]. */
export interface Depth {
  bids: Array<[number, number]>;
  asks: Array<[number, number]>;
  lastUpdateId: number;
}

/** Price limit that lets a MARKET order of that side cross every level (prices are > 0). */
export function marketLimit(side: Side): number {
  return side === "BUY" ? Number.POSITIVE_INFINITY : 0;
}

export class OrderBook {
  /** Incremented once per operation that changed the book (rest, match with fills, removal). */
  lastUpdateId = 0;
  /** Price of the last trade; the reference price until the first trade. */
  lastPriceTicks: number;
  /**
   * Makers that the last `match` filled completely (and therefore removed from the book).
   * Reused between calls so the hot path allocates nothing for it; read it right after `match`.
   */
  readonly filledMakers: Order[] = [];

  private readonly bids = new BookSide(1);
  private readonly asks = new BookSide(-1);
  private readonly nodes = new Map<number, OrderNode>();

  constructor(
    readonly symbol: string,
    referencePriceTicks: number,
  ) {
    this.lastPriceTicks = referencePriceTicks;
  }

  has(orderId: number): boolean {
    return this.nodes.has(orderId);
  }

  get restingCount(): number {
    return this.nodes.size;
  }

  bestBid(): number | undefined {
    return this.bids.best()?.priceTicks;
  }

  bestAsk(): number | undefined {
    return this.asks.best()?.priceTicks;
  }

  /** Whether an order of `side` limited at `limitPriceTicks` would trade against anything now. */
  wouldTake(side: Side, limitPriceTicks: number): boolean {
    if (side === "BUY") {
      const best = this.asks.best();
      return best !== undefined && best.priceTicks <= limitPriceTicks;
    }
    const best = this.bids.best();
    return best !== undefined && best.priceTicks >= limitPriceTicks;
  }

  /**
   * Lots an order of `side` limited at `limitPriceTicks` could fill now, counted only until
   * `wanted` is reached so an FOK check stays proportional to what it would consume.
   */
  fillableLots(side: Side, limitPriceTicks: number, wanted: number): number {
    const isBuy = side === "BUY";
    const book = isBuy ? this.asks : this.bids;
    let total = 0;
    for (let i = 0; total < wanted; i++) {
      const level = book.nth(i);
      if (level === undefined) break;
      if (isBuy ? level.priceTicks > limitPriceTicks : level.priceTicks < limitPriceTicks) break;
      total += level.totalLots;
    }
    return total;
  }

  /**
   * Average price (fractional ticks) of taking `notionalTicksLots` (price x lots) from one side,
   * best level first, the last level partly: Binance's impact bid (`"bids"`) or ask (`"asks"`)
   * of the funding premium. A side thinner than the notional gives the average over all of it;
   * an empty side undefined. Walks the levels without allocating.
   */
  impactPriceTicks(side: "bids" | "asks", notionalTicksLots: number): number | undefined {
    const book = side === "bids" ? this.bids : this.asks;
    let quote = 0;
    let lots = 0;
    for (let i = 0; quote < notionalTicksLots; i++) {
      const level = book.nth(i);
      if (level === undefined) break;
      const levelQuote = level.priceTicks * level.totalLots;
      if (quote + levelQuote <= notionalTicksLots) {
        quote += levelQuote;
        lots += level.totalLots;
      } else {
        lots += (notionalTicksLots - quote) / level.priceTicks;
        quote = notionalTicksLots;
      }
    }
    return lots > 0 ? quote / lots : undefined;
  }

  /**
   * Matches `taker` against the opposite side, best price first and FIFO within a level,
   * at the makers' prices, until the taker is filled or the next level is beyond
   * `limitPriceTicks` (use `marketLimit(side)` for MARKET). Updates the taker's and the
   * makers' executedLots/cumQuoteTicksLots/updateTime and the makers' status; the taker's
   * final status is left to the caller, which knows its time in force. Appends one Fill
   * per maker touched to `fills`.
   */
  match(taker: Order, limitPriceTicks: number, now: number, fills: Fill[]): void {
    // Truncating an empty array still goes through the runtime; most matches fill no maker fully.
    if (this.filledMakers.length !== 0) this.filledMakers.length = 0;
    const isBuy = taker.side === "BUY";
    const book = isBuy ? this.asks : this.bids;
    let remaining = taker.origLots - taker.executedLots;
    let executed = 0;
    let quote = 0;
    let lastPrice = 0;
    let level = book.best();
    while (remaining > 0 && level !== undefined) {
      const price = level.priceTicks;
      if (isBuy ? price > limitPriceTicks : price < limitPriceTicks) break;
      let node = level.head;
      while (node !== null && remaining > 0) {
        const maker = node.order;
        const available = maker.origLots - maker.executedLots;
        const lots = Math.min(available, remaining);
        maker.executedLots += lots;
        maker.cumQuoteTicksLots += lots * price;
        maker.updateTime = now;
        remaining -= lots;
        executed += lots;
        quote += lots * price;
        level.totalLots -= lots;
        fills.push({
          makerOrderId: maker.orderId,
          takerOrderId: taker.orderId,
          makerAccountId: maker.accountId,
          takerAccountId: taker.accountId,
          priceTicks: price,
          lots,
        });
        const next = node.next;
        if (lots === available) {
          maker.status = "FILLED";
          level.unlink(node);
          this.nodes.delete(maker.orderId);
          this.filledMakers.push(maker);
        } else {
          maker.status = "PARTIALLY_FILLED";
        }
        node = next;
      }
      lastPrice = price;
      // A level left non-empty means the taker ran out first: the sweep is over.
      if (level.head !== null) break;
      book.popBest();
      level = book.best();
    }
    if (executed > 0) {
      taker.executedLots += executed;
      taker.cumQuoteTicksLots += quote;
      taker.updateTime = now;
      this.lastPriceTicks = lastPrice;
      this.lastUpdateId++;
    }
  }

  /** Rests a LIMIT order's remainder at the back of its price level. */
  rest(order: Order): void {
    const level = (order.side === "BUY" ? this.bids : this.asks).levelFor(order.priceTicks);
    const node = new OrderNode(order, level);
    level.append(node);
    level.totalLots += order.origLots - order.executedLots;
    this.nodes.set(order.orderId, node);
    this.lastUpdateId++;
  }

  /** Takes a resting order out of the book (cancel); undefined if it is not resting. */
  remove(orderId: number): Order | undefined {
    const node = this.nodes.get(orderId);
    if (node === undefined) return undefined;
    const { level, order } = node;
    level.unlink(node);
    level.totalLots -= order.origLots - order.executedLots;
    if (level.head === null) (order.side === "BUY" ? this.bids : this.asks).removeLevel(level);
    this.nodes.delete(orderId);
    this.lastUpdateId++;
    return order;
  }

  /**
   * Changes a resting order's origLots in place, keeping its time priority (a quantity
   * decrease). The caller checked newOrigLots > executedLots. False if it is not resting.
   */
  resize(orderId: number, newOrigLots: number): boolean {
    const node = this.nodes.get(orderId);
    if (node === undefined) return false;
    const order = node.order;
    node.level.totalLots += newOrigLots - order.origLots;
    order.origLots = newOrigLots;
    this.lastUpdateId++;
    return true;
  }

  /** Aggregated levels, best first, at most `limit` per side: [priceTicks, totalLots]. */
  depth(limit: number): Depth {
    return {
      bids: levelsOf(this.bids, limit),
      asks: levelsOf(this.asks, limit),
      lastUpdateId: this.lastUpdateId,
    };
  }
}

function levelsOf(side: BookSide, limit: number): Array<[number, number]> {
  const n = Math.max(0, Math.min(limit, side.levelCount));
  const out: Array<[number, number]> = new Array(n);
  for (let i = 0; i < n; i++) {
    const level = side.nth(i) as PriceLevel;
    out[i] = [level.priceTicks, level.totalLots];
  }
  return out;
}
