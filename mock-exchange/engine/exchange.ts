/**
 * The matching engine: one order book per symbol, every order ever placed (by id and by
 * clientOrderId), and each account's one-way position per symbol.
 *
 * Objects returned (orders, positions) and passed to listeners are the engine's LIVE
 * objects: they keep changing as the engine runs. Serialize them right away or copy what
 * you keep. This avoids a copy per order and per fill on the hot path.
 *
 * The engine is pure and single-threaded: no I/O, no timers; time comes from `now`.
 */
import { type Depth, marketLimit, OrderBook } from "./orderBook.ts";
import type {
  EngineError,
  Fill,
  Order,
  PlaceOrderInput,
  Position,
  PositionListener,
  SymbolSpec,
} from "./types.ts";

export interface ExchangeOptions {
  symbols: SymbolSpec[];
  now: () => number;
}

export interface OrderRef {
  orderId?: number;
  clientOrderId?: string;
}

/** One account's state on one symbol. */
interface AccountSymbol {
  position: Position;
  /** Resting orders, in placement (= orderId) order. */
  open: Map<number, Order>;
  /**
   * Latest order per caller-supplied clientOrderId, finished ones included. Generated ids
   * are not stored: they are derived from the orderId, which saves a string-keyed insert per
   * order on the hot path.
   */
  byClientId: Map<string, Order>;
}

interface SymbolState {
  spec: SymbolSpec;
  book: OrderBook;
  accounts: Map<number, AccountSymbol>;
}

const GENERATED_PREFIX = "stp-";

const UNKNOWN_ORDER: EngineError = Object.freeze({ error: "UNKNOWN_ORDER" });
const NO_SUCH_ORDER: EngineError = Object.freeze({ error: "NO_SUCH_ORDER" });
const DUPLICATE_CLIENT_ORDER_ID: EngineError = Object.freeze({ error: "DUPLICATE_CLIENT_ORDER_ID" });
const POST_ONLY_WOULD_TAKE: EngineError = Object.freeze({ error: "POST_ONLY_WOULD_TAKE" });
const FOK_NOT_FILLABLE: EngineError = Object.freeze({ error: "FOK_NOT_FILLABLE" });

export function isEngineError(value: unknown): value is EngineError {
  return typeof value === "object" && value !== null && "error" in value;
}

export function isOpen(order: Readonly<Order>): boolean {
  return order.status === "NEW" || order.status === "PARTIALLY_FILLED";
}

function flatPosition(symbol: string): Position {
  return { symbol, amountLots: 0, entryPriceTicks: 0, realizedTicksLots: 0, updateTime: 0 };
}

/**
 * One-way position update for a fill of `signedLots` (> 0 buy, < 0 sell) at `priceTicks`.
 * Increasing averages the entry; reducing realises PnL against the unchanged entry;
 * crossing zero realises the closed part and opens the rest at the fill price.
 */
export function applyFillToPosition(
  pos: Position,
  signedLots: number,
  priceTicks: number,
  now: number,
): void {
  const amount = pos.amountLots;
  const next = amount + signedLots;
  if (amount === 0 || amount > 0 === signedLots > 0) {
    pos.entryPriceTicks =
      (pos.entryPriceTicks * Math.abs(amount) + priceTicks * Math.abs(signedLots)) / Math.abs(next);
  } else {
    const closed = Math.min(Math.abs(amount), Math.abs(signedLots));
    pos.realizedTicksLots += (priceTicks - pos.entryPriceTicks) * closed * (amount > 0 ? 1 : -1);
    if (next === 0) pos.entryPriceTicks = 0;
    else if (next > 0 !== amount > 0) pos.entryPriceTicks = priceTicks;
  }
  pos.amountLots = next;
  pos.updateTime = now;
}

export class Exchange {
  private readonly now: () => number;
  private readonly symbols = new Map<string, SymbolState>();
  /** Every order ever accepted, at index orderId − 1: ids are dense, so an array beats a Map. */
  private readonly orders: Order[] = [];
  private readonly listeners: PositionListener[] = [];
  private nextOrderId = 1;

  constructor(opts: ExchangeOptions) {
    this.now = opts.now;
    for (const spec of opts.symbols) {
      this.symbols.set(spec.symbol, {
        spec,
        book: new OrderBook(spec.symbol, spec.referencePriceTicks),
        accounts: new Map(),
      });
    }
  }

  /**
   * Registers a listener called once per position change (each account side of each fill),
   * in order: for each fill, the taker's change then the maker's. The position passed is
   * the live object: a listener must copy whatever it keeps. Listeners run synchronously
   * inside placeOrder and should not call back into the engine.
   */
  onPositionChange(listener: PositionListener): void {
    this.listeners.push(listener);
  }

  hasSymbol(symbol: string): boolean {
    return this.symbols.has(symbol);
  }

  symbolSpec(symbol: string): SymbolSpec | undefined {
    return this.symbols.get(symbol)?.spec;
  }

  /**
   * Places an order. The caller validated formats: lots > 0, priceTicks > 0 for LIMIT,
   * known symbol (an unknown one throws, as a programming error).
   * MARKET orders never rest: their remainder expires whatever the time in force, except
   * that FOK still means all-or-nothing. GTX with MARKET is treated like IOC.
   * Rejections (FOK_NOT_FILLABLE, POST_ONLY_WOULD_TAKE, DUPLICATE_CLIENT_ORDER_ID) change
   * nothing and consume no orderId.
   */
  placeOrder(input: PlaceOrderInput): { order: Readonly<Order>; fills: readonly Fill[] } | EngineError {
    const state = this.stateOf(input.symbol);
    const book = state.book;
    const isMarket = input.type === "MARKET";
    const limit = isMarket ? marketLimit(input.side) : input.priceTicks;

    let account = state.accounts.get(input.accountId);
    if (input.clientOrderId !== "" && account !== undefined) {
      const previous = this.byClientId(account, input.accountId, input.symbol, input.clientOrderId);
      if (previous !== undefined && isOpen(previous)) return DUPLICATE_CLIENT_ORDER_ID;
    }
    if (input.timeInForce === "FOK" && book.fillableLots(input.side, limit, input.lots) < input.lots) {
      return FOK_NOT_FILLABLE;
    }
    const postOnly = input.timeInForce === "GTX" && !isMarket;
    if (postOnly && book.wouldTake(input.side, limit)) return POST_ONLY_WOULD_TAKE;

    const now = this.now();
    const orderId = this.nextOrderId++;
    const order: Order = {
      orderId,
      clientOrderId: input.clientOrderId === "" ? GENERATED_PREFIX + orderId : input.clientOrderId,
      accountId: input.accountId,
      symbol: input.symbol,
      side: input.side,
      type: input.type,
      timeInForce: input.timeInForce,
      priceTicks: isMarket ? 0 : input.priceTicks,
      origLots: input.lots,
      executedLots: 0,
      cumQuoteTicksLots: 0,
      status: "NEW",
      time: now,
      updateTime: now,
    };
    if (account === undefined) {
      account = { position: flatPosition(input.symbol), open: new Map(), byClientId: new Map() };
      state.accounts.set(input.accountId, account);
    }
    this.orders.push(order);
    if (input.clientOrderId !== "") account.byClientId.set(input.clientOrderId, order);

    const fills: Fill[] = [];
    if (!postOnly) book.match(order, limit, now, fills);

    if (order.executedLots === order.origLots) {
      order.status = "FILLED";
    } else if (!isMarket && (input.timeInForce === "GTC" || postOnly)) {
      order.status = order.executedLots > 0 ? "PARTIALLY_FILLED" : "NEW";
      book.rest(order);
      account.open.set(orderId, order);
    } else {
      order.status = "EXPIRED";
    }

    if (fills.length > 0) this.settle(state, input.side === "BUY" ? 1 : -1, fills, now);
    return { order, fills };
  }

  /** Cancels a resting order of that account; anything else is UNKNOWN_ORDER. */
  cancelOrder(accountId: number, symbol: string, ref: OrderRef): Readonly<Order> | EngineError {
    const state = this.symbols.get(symbol);
    if (state === undefined) return UNKNOWN_ORDER;
    const order = this.resolve(state, accountId, symbol, ref);
    if (order === undefined || !isOpen(order)) return UNKNOWN_ORDER;
    state.book.remove(order.orderId);
    order.status = "CANCELED";
    order.updateTime = this.now();
    state.accounts.get(accountId)?.open.delete(order.orderId);
    return order;
  }

  /**
   * Any order of that account on that symbol, finished ones included. `orderId` wins when
   * both references are given (as on Binance). Another account's order is NO_SUCH_ORDER,
   * exactly like a missing one, so ids never leak.
   */
  getOrder(accountId: number, symbol: string, ref: OrderRef): Readonly<Order> | EngineError {
    const state = this.symbols.get(symbol);
    if (state === undefined) return NO_SUCH_ORDER;
    return this.resolve(state, accountId, symbol, ref) ?? NO_SUCH_ORDER;
  }

  /** Resting orders of the account, by symbol (in spec order) then orderId. */
  openOrders(accountId: number, symbol?: string): Readonly<Order>[] {
    const out: Order[] = [];
    for (const state of this.statesFor(symbol)) {
      const account = state.accounts.get(accountId);
      if (account === undefined) continue;
      for (const order of account.open.values()) out.push(order);
    }
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

  private stateOf(symbol: string): SymbolState {
    const state = this.symbols.get(symbol);
    if (state === undefined) throw new Error(`unknown symbol ${symbol}`);
    return state;
  }

  private statesFor(symbol: string | undefined): Iterable<SymbolState> {
    if (symbol === undefined) return this.symbols.values();
    const state = this.symbols.get(symbol);
    return state === undefined ? [] : [state];
  }

  private resolve(state: SymbolState, accountId: number, symbol: string, ref: OrderRef): Order | undefined {
    let order: Order | undefined;
    if (ref.orderId !== undefined) {
      order = this.orderById(ref.orderId);
    } else if (ref.clientOrderId !== undefined && ref.clientOrderId !== "") {
      const account = state.accounts.get(accountId);
      if (account !== undefined) order = this.byClientId(account, accountId, symbol, ref.clientOrderId);
    }
    if (order === undefined || order.accountId !== accountId || order.symbol !== symbol) return undefined;
    return order;
  }

  private orderById(orderId: number): Order | undefined {
    return Number.isInteger(orderId) && orderId >= 1 ? this.orders[orderId - 1] : undefined;
  }

  /**
   * The account's latest order on that symbol with that clientOrderId: the stored
   * caller-supplied one or the order whose generated id it is, whichever is newer (a caller
   * may well send a string that looks like a generated id).
   */
  private byClientId(
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

  /** Drops fully filled makers from their open sets, then applies the fills to positions. */
  private settle(state: SymbolState, takerSign: 1 | -1, fills: readonly Fill[], now: number): void {
    const accounts = state.accounts;
    // Before any listener runs: a listener that re-enters the engine would reuse filledMakers.
    const done = state.book.filledMakers;
    for (let i = 0; i < done.length; i++) {
      const maker = done[i] as Order;
      accounts.get(maker.accountId)?.open.delete(maker.orderId);
    }
    for (let i = 0; i < fills.length; i++) {
      const fill = fills[i] as Fill;
      const taker = (accounts.get(fill.takerAccountId) as AccountSymbol).position;
      const maker = (accounts.get(fill.makerAccountId) as AccountSymbol).position;
      if (taker === maker) {
        // Self-trade: the account buys and sells the same lots at the same price, which nets
        // to nothing. Applying the sides one after the other would not: the intermediate
        // state would move the entry and realise PnL. Both sides are still reported.
        taker.updateTime = now;
        this.notify(fill.takerAccountId, taker);
        this.notify(fill.makerAccountId, maker);
      } else {
        applyFillToPosition(taker, takerSign * fill.lots, fill.priceTicks, now);
        this.notify(fill.takerAccountId, taker);
        applyFillToPosition(maker, -takerSign * fill.lots, fill.priceTicks, now);
        this.notify(fill.makerAccountId, maker);
      }
    }
  }

  private notify(accountId: number, position: Position): void {
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) (listeners[i] as PositionListener)(accountId, position);
  }
}
