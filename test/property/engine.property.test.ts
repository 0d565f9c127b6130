import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isEngineError, MatchingEngine } from "../../mock-exchange/engine/matchingEngine.ts";
import type {
  Fill,
  Order,
  OrderType,
  Side,
  SymbolSpec,
  TimeInForce,
} from "../../mock-exchange/engine/types.ts";
import { checkEngineInvariants, RetentionTracker } from "../invariants.ts";

const SPECS: SymbolSpec[] = [
  { symbol: "AAAUSDT", tickSize: "0.1", stepSize: "0.001", referencePriceTicks: 100 },
  { symbol: "BBBUSDT", tickSize: "0.01", stepSize: "0.1", referencePriceTicks: 100 },
];
const ACCOUNTS = [1, 2, 3];
/** Used only by the final sweep, so its fills never mix with the accounts under test. */
const SWEEPER = 99;

type PlaceOp = {
  kind: "place";
  accountId: number;
  sym: number;
  side: Side;
  type: OrderType;
  tif: TimeInForce;
  lots: number;
  price: number;
  cid: string;
};
type CancelOp = { kind: "cancel"; pick: number; byCid: boolean; asOwner: boolean; accountId: number };
type Op = PlaceOp | CancelOp;

const placeOp: fc.Arbitrary<Op> = fc.record({
  kind: fc.constant("place" as const),
  accountId: fc.constantFrom(...ACCOUNTS),
  sym: fc.nat(1),
  side: fc.constantFrom<Side>("BUY", "SELL"),
  type: fc.oneof(
    { weight: 5, arbitrary: fc.constant<OrderType>("LIMIT") },
    { weight: 1, arbitrary: fc.constant<OrderType>("MARKET") },
  ),
  tif: fc.constantFrom<TimeInForce>("GTC", "IOC", "FOK", "GTX"),
  lots: fc.integer({ min: 1, max: 5 }),
  // A narrow band around the reference price so that orders cross often.
  price: fc.integer({ min: 96, max: 104 }),
  // Mostly generated ids; a couple of fixed ones exercise duplicates and lookups by clientOrderId.
  cid: fc.constantFrom("", "", "", "x", "y"),
});

const cancelOp: fc.Arbitrary<Op> = fc.record({
  kind: fc.constant("cancel" as const),
  pick: fc.nat(),
  byCid: fc.boolean(),
  asOwner: fc.oneof(
    { weight: 4, arbitrary: fc.constant(true) },
    { weight: 1, arbitrary: fc.constant(false) },
  ),
  accountId: fc.constantFrom(...ACCOUNTS),
});

const scenario = fc.record({
  symbolCount: fc.integer({ min: 1, max: 2 }),
  ops: fc.array(fc.oneof({ weight: 4, arbitrary: placeOp }, { weight: 1, arbitrary: cancelOp }), {
    maxLength: 200,
    size: "max",
  }),
});

interface Acked {
  orderId: number;
  accountId: number;
  symbol: string;
  side: Side;
  priceTicks: number;
  origLots: number;
  clientOrderId: string;
}

/** Plain assertion: vitest's expect is too slow for the per-order checks after every operation. */
function ok(cond: boolean, what: string): asserts cond {
  if (!cond) throw new Error(`invariant violated: ${what}`);
}

function pick(levels: Array<[number, number]>, i: number): number {
  return (levels[i] as [number, number])[0];
}

function sameLevels(levels: Array<[number, number]>, expected: Map<number, number>): boolean {
  if (levels.length !== expected.size) return false;
  for (const [price, lots] of levels) if (expected.get(price) !== lots) return false;
  return true;
}

const isOpenStatus = (s: string) => s === "NEW" || s === "PARTIALLY_FILLED";
const STATUSES = new Set(["NEW", "PARTIALLY_FILLED", "FILLED", "CANCELED", "EXPIRED"]);

/** (1) Never crossed; bids descending, asks ascending. */
function checkBookOrdered(d: { bids: Array<[number, number]>; asks: Array<[number, number]> }): void {
  const bestBid = d.bids[0]?.[0];
  const bestAsk = d.asks[0]?.[0];
  if (bestBid !== undefined && bestAsk !== undefined) ok(bestBid < bestAsk, "book crossed");
  for (let i = 1; i < d.bids.length; i++) ok(pick(d.bids, i) < pick(d.bids, i - 1), "bids descending");
  for (let i = 1; i < d.asks.length; i++) ok(pick(d.asks, i) > pick(d.asks, i - 1), "asks ascending");
}

/** What the book of a symbol should hold, from the orders the harness saw acknowledged. */
interface ExpectedBook {
  /** Remaining lots of open orders per price, per side. */
  bids: Map<number, number>;
  asks: Map<number, number>;
  /** Open order ids per account, in the order they were acknowledged (orderId order). */
  openIds: Map<number, number[]>;
  /** Lots executed, summed over every order (taker and maker sides both). */
  executed: number;
}

/** A model that records what the engine acknowledged and every fill it reported. */
class Harness {
  readonly ex: MatchingEngine;
  readonly symbols: string[];
  readonly acked: Acked[] = [];
  readonly byId = new Map<number, Acked>();
  /** Lots and quote per order, summed from the fills the engine returned. */
  readonly filledLots = new Map<number, number>();
  readonly filledQuote = new Map<number, number>();
  /** Per symbol: lots executed by orders while they were the taker. */
  readonly takerLots = new Map<string, number>();
  /** Net signed lots per "account|symbol" from fills, and the same from listener calls. */
  readonly netFromFills = new Map<string, number>();
  listenerCalls = 0;
  fillCount = 0;
  private t = 0;

  constructor(symbolCount: number) {
    const specs = SPECS.slice(0, symbolCount);
    this.symbols = specs.map((s) => s.symbol);
    this.ex = new MatchingEngine({ symbols: specs, now: () => ++this.t });
    this.ex.onPositionChange(() => this.listenerCalls++);
    for (const s of this.symbols) this.takerLots.set(s, 0);
  }

  order(a: Acked): Readonly<Order> {
    const o = this.ex.getOrder(a.accountId, a.symbol, { orderId: a.orderId });
    if (isEngineError(o)) throw new Error(`lost order ${a.orderId}: ${o.error}`);
    return o;
  }

  /** Lots on the opposite side an order could trade against right now. */
  available(symbol: string, side: Side, limit: number): number {
    const d = this.ex.depth(symbol, 1_000);
    const levels = side === "BUY" ? d.asks : d.bids;
    let total = 0;
    for (const [p, l] of levels) if (side === "BUY" ? p <= limit : p >= limit) total += l;
    return total;
  }

  place(op: PlaceOp): void {
    const symbol = this.symbols[op.sym % this.symbols.length] as string;
    const limit = op.type === "MARKET" ? (op.side === "BUY" ? Number.POSITIVE_INFINITY : 0) : op.price;
    const before = this.ex.depth(symbol, 1_000);
    const canFill = this.available(symbol, op.side, limit);
    const duplicate =
      op.cid !== "" &&
      this.acked.some(
        (a) =>
          a.accountId === op.accountId &&
          a.symbol === symbol &&
          a.clientOrderId === op.cid &&
          isOpenStatus(this.order(a).status),
      );
    const res = this.ex.placeOrder({
      accountId: op.accountId,
      symbol,
      side: op.side,
      type: op.type,
      timeInForce: op.tif,
      lots: op.lots,
      priceTicks: op.type === "MARKET" ? 0 : op.price,
      clientOrderId: op.cid,
    });

    const expectedError = duplicate
      ? "DUPLICATE_CLIENT_ORDER_ID"
      : op.tif === "FOK" && canFill < op.lots
        ? "FOK_NOT_FILLABLE"
        : op.tif === "GTX" && op.type === "LIMIT" && canFill > 0
          ? "POST_ONLY_WOULD_TAKE"
          : undefined;
    if (isEngineError(res)) {
      expect(res.error).toBe(expectedError);
      // A rejection changes nothing.
      expect(this.ex.depth(symbol, 1_000)).toEqual(before);
      return;
    }
    expect(expectedError).toBeUndefined();
    const o = res.order;
    const acked: Acked = {
      orderId: o.orderId,
      accountId: op.accountId,
      symbol,
      side: op.side,
      priceTicks: o.priceTicks,
      origLots: op.lots,
      clientOrderId: o.clientOrderId,
    };
    this.acked.push(acked);
    this.byId.set(o.orderId, acked);
    this.takerLots.set(symbol, (this.takerLots.get(symbol) ?? 0) + o.executedLots);
    this.recordFills(o, res.fills, limit);

    // Time in force outcomes, given what was available before.
    const expectedFill = Math.min(op.lots, op.tif === "GTX" && op.type === "LIMIT" ? 0 : canFill);
    expect(o.executedLots).toBe(expectedFill);
    if (o.executedLots === op.lots) expect(o.status).toBe("FILLED");
    else if (op.type === "MARKET" || op.tif === "IOC") expect(o.status).toBe("EXPIRED");
    else expect(o.status).toBe(o.executedLots > 0 ? "PARTIALLY_FILLED" : "NEW");
  }

  private recordFills(taker: Readonly<Order>, fills: readonly Fill[], limit: number): void {
    const buy = taker.side === "BUY";
    let prev: Fill | undefined;
    for (const f of fills) {
      this.fillCount++;
      ok(f.takerOrderId === taker.orderId && f.takerAccountId === taker.accountId, "fill names its taker");
      ok(f.lots > 0, "fill lots > 0");
      ok(buy ? f.priceTicks <= limit : f.priceTicks >= limit, "fill within the taker's limit");
      const maker = this.byId.get(f.makerOrderId);
      ok(maker !== undefined && maker.side !== taker.side, "maker is a known order of the other side");
      ok(maker.priceTicks === f.priceTicks, "trade at the maker's price");
      ok(f.makerAccountId === maker.accountId, "fill names the maker's account");
      if (prev !== undefined) {
        // Best price first, then FIFO (orders rest when placed, so FIFO is orderId order).
        if (prev.priceTicks === f.priceTicks) ok(f.makerOrderId > prev.makerOrderId, "FIFO within a level");
        else ok(buy ? f.priceTicks > prev.priceTicks : f.priceTicks < prev.priceTicks, "best price first");
      }
      prev = f;
      for (const id of [f.takerOrderId, f.makerOrderId]) {
        this.filledLots.set(id, (this.filledLots.get(id) ?? 0) + f.lots);
        this.filledQuote.set(id, (this.filledQuote.get(id) ?? 0) + f.lots * f.priceTicks);
      }
      const signed = buy ? f.lots : -f.lots;
      this.addNet(f.takerAccountId, taker.symbol, signed);
      this.addNet(f.makerAccountId, taker.symbol, -signed);
    }
  }

  private addNet(accountId: number, symbol: string, lots: number): void {
    const key = `${accountId}|${symbol}`;
    this.netFromFills.set(key, (this.netFromFills.get(key) ?? 0) + lots);
  }

  cancel(op: CancelOp): void {
    if (this.acked.length === 0) return;
    const target = this.acked[op.pick % this.acked.length] as Acked;
    const accountId = op.asOwner ? target.accountId : op.accountId;
    const ref = op.byCid ? { clientOrderId: target.clientOrderId } : { orderId: target.orderId };
    // By clientOrderId the engine resolves that account's latest order with that id.
    let resolved: Acked | undefined;
    if (op.byCid) {
      for (const a of this.acked) {
        if (
          a.accountId === accountId &&
          a.symbol === target.symbol &&
          a.clientOrderId === target.clientOrderId
        )
          resolved = a;
      }
    } else if (accountId === target.accountId) {
      resolved = target;
    }
    const wasOpen = resolved !== undefined && isOpenStatus(this.order(resolved).status);
    const res = this.ex.cancelOrder(accountId, target.symbol, ref);
    if (!wasOpen) {
      expect(res).toEqual({ error: "UNKNOWN_ORDER" });
      return;
    }
    expect(isEngineError(res)).toBe(false);
    expect((res as Order).orderId).toBe(resolved?.orderId);
    expect((res as Order).status).toBe("CANCELED");
  }

  checkInvariants(): void {
    for (const symbol of this.symbols) {
      const d = this.ex.depth(symbol, 1_000);
      checkBookOrdered(d);
      this.checkPositions(symbol);
      const book = this.checkOrders(symbol);
      // Every fill has one taker side and one maker side.
      ok(book.executed === 2 * (this.takerLots.get(symbol) ?? 0), "taker lots = maker lots");
      ok(sameLevels(d.bids, book.bids), "bid depth = open buy orders' remaining lots");
      ok(sameLevels(d.asks, book.asks), "ask depth = open sell orders' remaining lots");
      this.checkOpenOrderLists(symbol, book.openIds);
    }
    ok(this.listenerCalls === 2 * this.fillCount, "one listener call per account side of a fill");
  }

  /** (2) Positions of all accounts sum to zero, and each matches the fills it was party to. */
  private checkPositions(symbol: string): void {
    let sum = 0;
    for (const acc of ACCOUNTS) {
      const [p] = this.ex.positions(acc, symbol);
      ok(p !== undefined && p.symbol === symbol, "one position per symbol");
      ok(p.amountLots === (this.netFromFills.get(`${acc}|${symbol}`) ?? 0), "position = net of its fills");
      if (p.amountLots === 0) ok(p.entryPriceTicks === 0, "flat position has no entry");
      else ok(p.entryPriceTicks > 0, "open position has an entry");
      sum += p.amountLots;
    }
    ok(sum === 0, "positions sum to zero");
  }

  /**
   * (3)+(4) Per order of the symbol: found, one valid status, quantities add up. Returns what
   * the book should hold (the open orders' remaining lots at their prices), the open orders'
   * ids per account, and the lots executed by all of them.
   */
  private checkOrders(symbol: string): ExpectedBook {
    const book: ExpectedBook = { bids: new Map(), asks: new Map(), openIds: new Map(), executed: 0 };
    for (const a of this.acked) {
      if (a.symbol !== symbol) continue;
      const { filled, remaining, open } = this.checkOrder(a);
      book.executed += filled;
      if (open) {
        const levels = a.side === "BUY" ? book.bids : book.asks;
        levels.set(a.priceTicks, (levels.get(a.priceTicks) ?? 0) + remaining);
        const ids = book.openIds.get(a.accountId) ?? [];
        ids.push(a.orderId);
        book.openIds.set(a.accountId, ids);
      }
    }
    return book;
  }

  private checkOrder(a: Acked): { filled: number; remaining: number; open: boolean } {
    const o = this.order(a);
    ok(o.orderId === a.orderId && STATUSES.has(o.status), "one valid status");
    const filled = this.filledLots.get(a.orderId) ?? 0;
    ok(o.executedLots === filled, "executedLots = sum of its fills");
    ok(o.cumQuoteTicksLots === (this.filledQuote.get(a.orderId) ?? 0), "cumQuote = sum of its fills");
    ok(o.origLots === a.origLots, "origLots unchanged");
    const remaining = a.origLots - filled;
    const open = isOpenStatus(o.status);
    const resting = open ? remaining : 0;
    const dropped = o.status === "CANCELED" || o.status === "EXPIRED" ? remaining : 0;
    ok(filled + resting + dropped === a.origLots && remaining >= 0, "quantity conserved");
    ok(o.status === "FILLED" ? remaining === 0 : remaining > 0, "FILLED iff nothing remains");
    if (o.status === "NEW") ok(filled === 0, "NEW has no fills");
    if (o.status === "PARTIALLY_FILLED") ok(filled > 0, "PARTIALLY_FILLED has fills");
    return { filled, remaining, open };
  }

  /** openOrders lists exactly each account's open orders of the symbol, in orderId order. */
  private checkOpenOrderLists(symbol: string, openIds: ReadonlyMap<number, number[]>): void {
    for (const acc of ACCOUNTS) {
      const listed = this.ex.openOrders(acc, symbol);
      const ids = openIds.get(acc) ?? [];
      ok(listed.length === ids.length, "openOrders lists exactly the open orders");
      for (let i = 0; i < ids.length; i++) ok(listed[i]?.orderId === ids[i], "openOrders in orderId order");
    }
  }

  /**
   * Proves every open order really sits in the book, in price-time order: a MARKET order
   * per side must consume exactly the open orders, best price first then oldest first,
   * each for its remaining lots, and leave that side empty.
   */
  sweep(): void {
    for (const symbol of this.symbols) {
      for (const makerSide of ["BUY", "SELL"] as const) {
        const open = this.acked
          .filter((a) => a.symbol === symbol && a.side === makerSide && isOpenStatus(this.order(a).status))
          .map((a) => ({ id: a.orderId, price: a.priceTicks, lots: a.origLots - this.order(a).executedLots }))
          .sort((x, y) =>
            x.price === y.price ? x.id - y.id : makerSide === "BUY" ? y.price - x.price : x.price - y.price,
          );
        const total = open.reduce((s, o) => s + o.lots, 0);
        if (total === 0) continue;
        const res = this.ex.placeOrder({
          accountId: SWEEPER,
          symbol,
          side: makerSide === "BUY" ? "SELL" : "BUY",
          type: "MARKET",
          timeInForce: "IOC",
          lots: total,
          priceTicks: 0,
          clientOrderId: "",
        });
        if (isEngineError(res)) throw new Error(res.error);
        expect(res.order.status).toBe("FILLED");
        expect(res.fills.map((f) => [f.makerOrderId, f.priceTicks, f.lots])).toEqual(
          open.map((o) => [o.id, o.price, o.lots]),
        );
        const d = this.ex.depth(symbol, 1_000);
        expect(makerSide === "BUY" ? d.bids : d.asks).toEqual([]);
      }
      for (const acc of ACCOUNTS) expect(this.ex.openOrders(acc, symbol)).toEqual([]);
    }
  }
}

describe("engine properties", () => {
  it("keeps the book uncrossed, positions balanced, quantities conserved and no order lost", () => {
    fc.assert(
      fc.property(scenario, ({ symbolCount, ops }) => {
        const h = new Harness(symbolCount);
        for (const op of ops) {
          if (op.kind === "place") h.place(op);
          else h.cancel(op);
          h.checkInvariants();
        }
        h.sweep();
        for (const symbol of h.symbols) {
          const d = h.ex.depth(symbol, 1_000);
          expect(d.bids.length + d.asks.length).toBe(0);
        }
      }),
      { numRuns: 200 },
    );
  });
});

// ---- Margin, conditional orders, modifies and mark moves --------------------------------

type RichOp =
  | {
      kind: "place";
      acc: number;
      side: Side;
      type: OrderType;
      tif: TimeInForce;
      lots: number;
      price: number;
      ro: boolean;
    }
  | { kind: "stop"; acc: number; side: Side; tp: boolean; stop: number; lots: number; close: boolean }
  | { kind: "modify"; pick: number; price: number; lots: number }
  | { kind: "cancel"; pick: number }
  | { kind: "cancelAll"; acc: number }
  | { kind: "index"; price: number }
  /** Funding settlement at a rate in 1e-8 units (past Binance's caps, so that it liquidates). */
  | { kind: "funding"; rate: number };

const RICH_ACCOUNTS = [1, 2, 3, 4];
const richOp: fc.Arbitrary<RichOp> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("place" as const),
      acc: fc.constantFrom(...RICH_ACCOUNTS),
      side: fc.constantFrom<Side>("BUY", "SELL"),
      type: fc.constantFrom<OrderType>("LIMIT", "LIMIT", "LIMIT", "MARKET"),
      tif: fc.constantFrom<TimeInForce>("GTC", "GTC", "IOC", "FOK", "GTX"),
      lots: fc.integer({ min: 1, max: 400 }),
      price: fc.integer({ min: 90, max: 110 }),
      ro: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("stop" as const),
      acc: fc.constantFrom(...RICH_ACCOUNTS),
      side: fc.constantFrom<Side>("BUY", "SELL"),
      tp: fc.boolean(),
      stop: fc.integer({ min: 85, max: 115 }),
      lots: fc.integer({ min: 1, max: 400 }),
      close: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("modify" as const),
      pick: fc.nat(),
      price: fc.integer({ min: 90, max: 110 }),
      lots: fc.integer({ min: 1, max: 400 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cancel" as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("cancelAll" as const), acc: fc.constantFrom(...RICH_ACCOUNTS) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("index" as const), price: fc.integer({ min: 80, max: 120 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("funding" as const),
      rate: fc.integer({ min: -5_000_000, max: 5_000_000 }),
    }),
  },
);

/** One symbol, four accounts with small balances so that margin rejections and liquidations happen. */
function richExchange(mode: "last" | "median"): { ex: MatchingEngine; symbol: string } {
  let t = 0;
  const spec = SPECS[0] as SymbolSpec;
  const symbol = spec.symbol;
  const ex = new MatchingEngine({
    symbols: [spec],
    now: () => (t += 1000),
    markMode: mode,
    insuranceFund: 1_000_000,
  });
  for (const a of RICH_ACCOUNTS) ex.createAccount(a, a === 4 ? 50_000_000 : 2_000_000);
  ex.setIndexPrice(symbol, 100);
  return { ex, symbol };
}

/** Applies one operation; returns the engine's answer to a place, stop or modify (else undefined). */
function applyRichOp(ex: MatchingEngine, symbol: string, op: RichOp, acked: readonly Order[]): unknown {
  if (op.kind === "place")
    return ex.submitOrder({
      accountId: op.acc,
      symbol,
      side: op.side,
      type: op.type,
      timeInForce: op.tif,
      lots: op.lots,
      priceTicks: op.type === "MARKET" ? 0 : op.price,
      clientOrderId: "",
      reduceOnly: op.ro,
    });
  if (op.kind === "stop")
    return ex.submitOrder({
      accountId: op.acc,
      symbol,
      side: op.side,
      type: op.tp ? "TAKE_PROFIT_MARKET" : "STOP_MARKET",
      timeInForce: "GTC",
      lots: op.lots,
      priceTicks: 0,
      clientOrderId: "",
      stopPriceTicks: op.stop,
      closePosition: op.close,
    });
  if (op.kind === "modify" && acked.length > 0) {
    const o = acked[op.pick % acked.length] as Order;
    return ex.modifyOrder(
      o.accountId,
      symbol,
      { orderId: o.orderId },
      { priceTicks: op.price, lots: op.lots },
    );
  }
  if (op.kind === "cancel" && acked.length > 0) {
    const o = acked[op.pick % acked.length] as Order;
    ex.cancelOrder(o.accountId, symbol, { orderId: o.orderId });
  } else if (op.kind === "cancelAll") {
    ex.cancelAll(op.acc, symbol);
  } else if (op.kind === "index") {
    ex.setIndexPrice(symbol, op.price);
  } else if (op.kind === "funding") {
    ex.settleFunding(symbol, op.rate);
  }
  return undefined;
}

describe("engine with margin, stops, modifies and mark moves (property)", () => {
  it("keeps the book uncrossed, positions balanced, cash conserved exactly and every order findable", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<"last" | "median">("last", "median"),
        fc.array(richOp, { maxLength: 150 }),
        (mode, ops) => {
          const { ex, symbol } = richExchange(mode);
          const acked: Order[] = [];
          for (const op of ops) {
            const res = applyRichOp(ex, symbol, op, acked);
            if (res !== undefined && !isEngineError(res)) {
              const o = (res as { order: Order }).order;
              if (!acked.includes(o)) acked.push(o);
            }

            // Book never crossed, positions sum to zero, cash conserved exactly, every order
            // found in one state (test/invariants.ts, shared with the HTTP fuzz test).
            checkEngineInvariants(ex, [symbol], RICH_ACCOUNTS, acked);
            for (const o of acked)
              ok(ex.getOrder(o.accountId, symbol, { orderId: o.orderId }) === o, "order found by getOrder");
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("engine with a retention (property)", () => {
  it("forgets only final orders past their horizon or beyond the cap, never an open one, and never reuses an id", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ op: richOp, advanceMs: fc.integer({ min: 0, max: 4_000 }) }), {
          maxLength: 150,
        }),
        fc.integer({ min: 0, max: 12 }),
        (steps, maxFinalOrders) => {
          let t = 0;
          const spec = SPECS[0] as SymbolSpec;
          const symbol = spec.symbol;
          const retention = { unfilledMs: 5_000, filledMs: 15_000, maxFinalOrders };
          const ex = new MatchingEngine({
            symbols: [spec],
            now: () => t,
            insuranceFund: 1_000_000,
            orderRetention: retention,
          });
          const tracker = new RetentionTracker(retention, () => t);
          // Every order the engine makes, liquidations' included (the tracker's cap clause needs them all).
          const all: Order[] = [];
          ex.onOrderUpdate((type, order) => {
            if (type !== "NEW") return;
            const last = all[all.length - 1];
            ok(
              last === undefined || order.orderId > last.orderId,
              `orderId ${order.orderId} handed out again`,
            );
            all.push(order as Order);
            tracker.track(order);
          });
          for (const a of RICH_ACCOUNTS) ex.createAccount(a, a === 4 ? 50_000_000 : 2_000_000);
          ex.setIndexPrice(symbol, 100);
          for (const { op, advanceMs } of steps) {
            t += advanceMs;
            applyRichOp(ex, symbol, op, all);
            checkEngineInvariants(ex, [symbol], RICH_ACCOUNTS, all, tracker);
            // Between operations the engine holds its open orders and at most the cap of final ones.
            const open = all.filter((o) => isOpenStatus(o.status)).length;
            ok(ex.ordersHeld() - open <= maxFinalOrders, "final orders held within the cap");
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
