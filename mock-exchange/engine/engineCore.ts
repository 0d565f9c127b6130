/**
 * The matching engine's shared ground: its options, the state every layer reads (symbols with
 * their book, accounts and pending stops; wallets), the helpers they share, and the bottom
 * layer, EngineCore (the clock, the symbols, order updates).
 *
 * The engine (MatchingEngine, matchingEngine.ts) is a stack of layers, one concern each, every
 * one holding its own state and extending the one below: EngineCore -> OrderStore (orders by id
 * and clientOrderId, retention) -> Accounts (wallets, margin) -> Settlement (fills into cash and
 * positions) -> Liquidation (liquidation, insurance fund, ADL) -> StopOrders (conditional
 * triggers) -> MarkPrice (mark, funding, the cascade) -> MatchingEngine (order entry). A layer
 * that needs a step of a higher one (liquidation places orders) declares it abstract. Layers
 * rather than separate objects because the hot path (one order: match, settle, notify) crosses
 * most of them, and one object keeps that path's calls and field reads as they were.
 *
 * Objects returned (orders, positions) and passed to listeners are the engine's LIVE
 * objects: they keep changing as the engine runs. Serialize them right away or copy what
 * you keep. This avoids a copy per order and per fill on the hot path.
 *
 * The engine is pure and single-threaded: no I/O, no timers; time comes from `now`.
 *
 * Cash (balances, fees, insurance fund, PnL) is kept in integer units of 10^-cashDecimals
 * USDT (`cashDecimals` = max(6, decimals(tickSize) + decimals(stepSize)) over the symbols),
 * so that one tick x one lot is an integer number of cash units and conservation is exact:
 *   Σ wallets' cash + Σ unrealized at the mark + fees + insurance fund = deposits,
 *   deposits = Σ createAccount + initial fund + Σ collateral conversion proceeds.
 * Collateral (assets other than USDT, accounts.ts) counts towards an account's margin at its
 * oracle price but is not cash: units still held are outside the identity. Cash enters the
 * ledger only when a liquidation seizes the units and converts them (the seizer's proceeds, or
 * their value at the oracle price), and that is when the proceeds join `deposits`.
 * Each position keeps an integer cost (Σ signed lots x price of its open lots, in ticks x
 * lots); a reducing fill releases floor(cost x closed / |amount|) of it, so realised PnL is
 * an integer too. `entryPriceTicks` / `realizedTicksLots` stay the exact averages for display.
 */
import { OrderBook } from "./orderBook.ts";
import type { TradeRing } from "./tradeLog.ts";
import type {
  EngineError,
  ExecutionType,
  Fill,
  MarkMode,
  Order,
  OrderErrorCode,
  OrderFillInfo,
  OrderUpdateListener,
  Position,
  SymbolSpec,
} from "./types.ts";

export interface MatchingEngineOptions {
  symbols: SymbolSpec[];
  now: () => number;
  /** Parts per million of notional. Defaults 200 (0.02%) and 500 (0.05%). */
  makerFeePpm?: number;
  takerFeePpm?: number;
  /** Maintenance margin, ppm of notional; default 4000 (0.4%). */
  maintenancePpm?: number;
  /**
   * How far past the bankruptcy price, from the mark, a forced order may trade while the
   * insurance fund pays the shortfall (liquidation.ts liquidationLimit), ppm; default 0: never.
   */
  liquidationBandPpm?: number;
  /** Default leverage per symbol; default 20. */
  defaultLeverage?: number;
  /** Insurance fund at start, in cash units; default 0. */
  insuranceFund?: number;
  /** "last" (default) or "median" (needs an index: indexFeed or setIndexPrice). */
  markMode?: MarkMode;
  /** Index price in ticks for a symbol now; undefined = use the last set one. */
  indexFeed?: (symbol: string, now: number) => number | undefined;
  /** Basis sampling interval (ms) and window (samples) for the median mark; 5000 ms, 12. */
  basisSampleMs?: number;
  basisWindow?: number;
  /** Own fills kept per account and symbol for userTrades (a ring: the newest N); default 0, none. */
  tradeHistoryPerSymbol?: number;
  /** How long final orders stay queryable (see the file comment); default: every order kept. */
  orderRetention?: OrderRetention;
}

/** When final orders are forgotten. Times in the injected clock's ms. */
export interface OrderRetention {
  /** A CANCELED or EXPIRED order with no fill is forgotten once created longer ago than this. */
  unfilledMs: number;
  /** Any other final order (FILLED, or cancelled / expired after a fill), likewise. */
  filledMs: number;
  /** Final orders held at most; past it, the one that became final first is forgotten first. */
  maxFinalOrders: number;
}

export interface PlaceResult {
  order: Readonly<Order>;
  fills: readonly Fill[];
}

export interface OrderRef {
  orderId?: number;
  clientOrderId?: string;
}

/** One account's state on one symbol. */
export interface AccountSymbol {
  position: Position;
  /** Resting orders, in placement (= orderId) order. */
  open: Map<number, Order>;
  /**
   * Latest order per caller-supplied clientOrderId, final ones included until forgotten (an
   * entry leaves with its order: bounded like the orders). Generated ids are not stored: they
   * are derived from the orderId, which saves a string-keyed insert per order on the hot path.
   */
  byClientId: Map<string, Order>;
  /** Σ signed lots x price of the open lots (ticks x lots), integer. */
  cost: number;
  /** Set when a reduce-only order rested; cleared by a trim that finds none. */
  hasReduceOnly: boolean;
  wallet: Wallet;
  /** This account's last fills on the symbol (a ring of tradeHistoryPerSymbol: bounded by size); made on its first fill when history is kept. */
  trades: TradeRing | undefined;
}

export interface Wallet {
  accountId: number;
  cash: number;
  checked: boolean;
  leverage: Map<string, number>;
  /** This account's per-symbol states (for cross-margin sums). */
  symbols: Array<{ state: SymbolState; account: AccountSymbol }>;
  /** Creation order (0, 1, ...): the order liquidateAll visits wallets in. */
  seq: number;
  /** Symbols on which this account holds a position (amountLots !== 0). */
  openPositions: number;
  /** Collateral units held per asset; made on the first deposit (most wallets never hold any). */
  collateral: Map<string, number> | undefined;
  /**
   * Σ floor(units x cashPerUnit) over `collateral`, cash units: kept as deposits and prices
   * change, because every margin check (one per order) reads it.
   */
  collateralValue: number;
}

export interface SymbolState {
  spec: SymbolSpec;
  book: OrderBook;
  accounts: Map<number, AccountSymbol>;
  /** Cash units per tick x lot. */
  cashPerTickLot: number;
  /** Minimum notional in ticks x lots; 0 = none. */
  minNotional: number;
  markTicks: number;
  indexTicks: number | undefined;
  basis: number[];
  lastBasisSample: number;
  /** Pending conditional orders, in orderId order. */
  stops: Order[];
}

export const GENERATED_PREFIX = "stp-";

export const err = (error: OrderErrorCode): EngineError<OrderErrorCode> => ({ error });

export function isEngineError(value: unknown): value is EngineError<OrderErrorCode> {
  return typeof value === "object" && value !== null && "error" in value;
}

export function isOpen(order: Readonly<Order>): boolean {
  return order.status === "NEW" || order.status === "PARTIALLY_FILLED";
}

export function flatPosition(symbol: string): Position {
  return { symbol, amountLots: 0, entryPriceTicks: 0, realizedTicksLots: 0, updateTime: 0 };
}

/** Digits after the point of a decimal string ("0.10" -> 2). */
function decimals(v: string): number {
  const i = v.indexOf(".");
  return i < 0 ? 0 : v.length - i - 1;
}

/** The cash unit of an engine of these symbols: 10^-this USDT (the file comment says why). */
export function cashDecimalsFor(symbols: readonly SymbolSpec[]): number {
  let cd = 6;
  for (const spec of symbols) cd = Math.max(cd, decimals(spec.tickSize) + decimals(spec.stepSize));
  return cd;
}

/** A decimal string as an integer count of 10^-scale units (exact for scale >= its decimals). */
function toUnits(v: string, scale: number): number {
  const [int = "0", frac = ""] = v.split(".");
  return Number(int + frac.padEnd(scale, "0").slice(0, scale));
}

export abstract class EngineCore {
  /** Cash unit: 10^-cashDecimals USDT. */
  readonly cashDecimals: number;
  protected readonly now: () => number;
  protected readonly symbols = new Map<string, SymbolState>();
  protected readonly orderListeners: OrderUpdateListener[] = [];
  protected nextOrderId = 1;

  constructor(opts: MatchingEngineOptions) {
    this.now = opts.now;
    const cd = cashDecimalsFor(opts.symbols);
    this.cashDecimals = cd;
    for (const spec of opts.symbols) {
      const tickLot =
        toUnits(spec.tickSize, decimals(spec.tickSize)) * toUnits(spec.stepSize, decimals(spec.stepSize));
      const cashPerTickLot = tickLot * 10 ** (cd - decimals(spec.tickSize) - decimals(spec.stepSize));
      // Min notional in cash units, rounded up to whole ticks x lots.
      const minCash = spec.minNotional === undefined ? 0 : toUnits(spec.minNotional, cd);
      this.symbols.set(spec.symbol, {
        spec,
        book: new OrderBook(spec.symbol, spec.referencePriceTicks),
        accounts: new Map(),
        cashPerTickLot,
        minNotional: Math.ceil(minCash / cashPerTickLot),
        markTicks: spec.referencePriceTicks,
        indexTicks: undefined,
        basis: [],
        lastBasisSample: Number.NEGATIVE_INFINITY,
        stops: [],
      });
    }
  }

  /** Every order's updates (for user data streams); see OrderUpdateListener. */
  onOrderUpdate(listener: OrderUpdateListener): void {
    this.orderListeners.push(listener);
  }

  hasSymbol(symbol: string): boolean {
    return this.symbols.has(symbol);
  }

  symbolSpec(symbol: string): SymbolSpec | undefined {
    return this.symbols.get(symbol)?.spec;
  }

  protected stateOf(symbol: string): SymbolState {
    const state = this.symbols.get(symbol);
    if (state === undefined) throw new Error(`unknown symbol ${symbol}`);
    return state;
  }

  protected statesFor(symbol: string | undefined): Iterable<SymbolState> {
    if (symbol === undefined) return this.symbols.values();
    const state = this.symbols.get(symbol);
    return state === undefined ? [] : [state];
  }

  protected orderUpdate(type: ExecutionType, order: Order, fill: OrderFillInfo | undefined): void {
    const listeners = this.orderListeners;
    for (let i = 0; i < listeners.length; i++) (listeners[i] as OrderUpdateListener)(type, order, fill);
  }
}
