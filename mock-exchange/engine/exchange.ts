/**
 * The matching engine: one order book per symbol, its orders (by id and by clientOrderId: every
 * open one, and final ones until their retention horizon), and each account's one-way position
 * per symbol.
 *
 * Objects returned (orders, positions) and passed to listeners are the engine's LIVE
 * objects: they keep changing as the engine runs. Serialize them right away or copy what
 * you keep. This avoids a copy per order and per fill on the hot path.
 *
 * The engine is pure and single-threaded: no I/O, no timers; time comes from `now`.
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
 *
 * Cash (balances, fees, insurance fund, PnL) is kept in integer units of 10^-cashDecimals
 * USDT (`cashDecimals` = max(6, decimals(tickSize) + decimals(stepSize)) over the symbols),
 * so that one tick x one lot is an integer number of cash units and conservation is exact:
 * Σ (wallet + unrealized at the mark) + fees + insurance fund = Σ deposits + initial fund.
 * Each position keeps an integer cost (Σ signed lots x price of its open lots, in ticks x
 * lots); a reducing fill releases floor(cost x closed / |amount|) of it, so realised PnL is
 * an integer too. `entryPriceTicks` / `realizedTicksLots` stay the exact averages for display.
 *
 * Accounts: any account that trades gets a wallet (0 unless created). Margin checks (-2019)
 * and the liquidation engine apply only to accounts made with `createAccount` ("checked");
 * others (the venue's house account, legacy callers) may go negative.
 */
import { type Depth, marketLimit, OrderBook } from "./orderBook.ts";
import { FinalOrderQueue, OrderIndex } from "./orderIndex.ts";
import { type TradeQuery, type TradeRecord, TradeRing } from "./tradeLog.ts";
import {
  type AccountSummary,
  type EngineError,
  type ExecutionType,
  type Fill,
  LEGACY_ERROR_CODES,
  type LiquidationEvent,
  type LiquidationListener,
  type MarkMode,
  type Order,
  type OrderErrorCode,
  type OrderFillInfo,
  type OrderUpdateListener,
  type PlaceOrderInput,
  type Position,
  type PositionListener,
  type Side,
  type SymbolSpec,
  type TimeInForce,
} from "./types.ts";

export interface ExchangeOptions {
  symbols: SymbolSpec[];
  now: () => number;
  /** Parts per million of notional. Defaults 200 (0.02%) and 500 (0.05%). */
  makerFeePpm?: number;
  takerFeePpm?: number;
  /** Maintenance margin, ppm of notional; default 4000 (0.4%). */
  maintenancePpm?: number;
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
interface AccountSymbol {
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

interface Wallet {
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
}

interface SymbolState {
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

const GENERATED_PREFIX = "stp-";

const UNKNOWN_ORDER: EngineError = Object.freeze({ error: "UNKNOWN_ORDER" });
const NO_SUCH_ORDER: EngineError = Object.freeze({ error: "NO_SUCH_ORDER" });
const DUPLICATE_CLIENT_ORDER_ID: EngineError = Object.freeze({ error: "DUPLICATE_CLIENT_ORDER_ID" });
const POST_ONLY_WOULD_TAKE: EngineError = Object.freeze({ error: "POST_ONLY_WOULD_TAKE" });
const FOK_NOT_FILLABLE: EngineError = Object.freeze({ error: "FOK_NOT_FILLABLE" });
type OrderError = EngineError<OrderErrorCode>;
const err = (error: OrderErrorCode): OrderError => ({ error });
const EMPTY_FILLS: readonly Fill[] = Object.freeze([]);

export function isEngineError(value: unknown): value is EngineError<OrderErrorCode> {
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

/** Digits after the point of a decimal string ("0.10" -> 2). */
function decimals(v: string): number {
  const i = v.indexOf(".");
  return i < 0 ? 0 : v.length - i - 1;
}

/** A decimal string as an integer count of 10^-scale units (exact for scale >= its decimals). */
function toUnits(v: string, scale: number): number {
  const [int = "0", frac = ""] = v.split(".");
  return Number(int + frac.padEnd(scale, "0").slice(0, scale));
}

function median3(a: number, b: number, c: number): number {
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}

function isConditional(type: string): boolean {
  return type === "STOP_MARKET" || type === "TAKE_PROFIT_MARKET";
}

/** Whether a conditional order triggers at `mark`. */
function triggers(o: Order, mark: number): boolean {
  const stop = o.stopPriceTicks as number;
  const up = (o.type === "STOP_MARKET") === (o.side === "BUY");
  return up ? mark >= stop : mark <= stop;
}

export class Exchange {
  /** Cash unit: 10^-cashDecimals USDT. */
  readonly cashDecimals: number;
  private readonly now: () => number;
  private readonly symbols = new Map<string, SymbolState>();
  /** Open orders and the final ones not yet forgotten, by orderId. */
  private readonly orders = new OrderIndex<Order>();
  private readonly retention: OrderRetention | undefined;
  /** Final orders held, in the order they became final: no fill, and the others (two horizons). */
  private readonly finalUnfilled = new FinalOrderQueue();
  private readonly finalFilled = new FinalOrderQueue();
  /** Orders made final so far: the queues' sequence numbers. */
  private finalSeq = 0;
  /** The earliest forgetAtMs of the queues' heads: no time sweep is due before it. */
  private nextForgetMs = Number.POSITIVE_INFINITY;
  /** Whether any order carried a caller-supplied clientOrderId (else forgetting skips byClientId). */
  private suppliedClientIds = false;
  private readonly maxFinalOrders: number;
  private readonly listeners: PositionListener[] = [];
  private readonly liquidationListeners: LiquidationListener[] = [];
  private readonly orderListeners: OrderUpdateListener[] = [];
  /** Trade ids, one per fill, assigned whether or not anybody listens (deterministic). */
  private nextTradeId = 1;
  /** Reused for every TRADE update: no allocation per fill. */
  private readonly fillInfo: OrderFillInfo = {
    tradeId: 0,
    lots: 0,
    priceTicks: 0,
    executedLots: 0,
    cumQuoteTicksLots: 0,
    maker: false,
    feeCash: 0,
    realizedCash: 0,
  };
  private readonly wallets = new Map<number, Wallet>();
  /** Every wallet at index seq (creation order, = the Map's iteration order). */
  private readonly walletsBySeq: Wallet[] = [];
  /**
   * One bit per wallet seq, set for checked wallets holding a position: the only ones the
   * liquidation engine can take (a flat account has no maintenance margin), so a mark move
   * looks at those instead of every account.
   */
  private readonly atRisk: number[] = [];
  private nextOrderId = 1;
  private readonly makerFeePpm: number;
  private readonly takerFeePpm: number;
  private readonly maintenancePpm: number;
  private readonly defaultLeverage: number;
  private readonly markMode: MarkMode;
  private readonly indexFeed: ((symbol: string, now: number) => number | undefined) | undefined;
  private readonly basisSampleMs: number;
  private readonly basisWindow: number;
  private readonly tradeHistory: number;
  private checkedAccounts = 0;
  private pendingStops = 0;
  /** Fees collected, in cash units. */
  private fees = 0;
  private fund: number;
  private deposits: number;
  /** Re-entrancy guard of the mark/trigger/liquidation cascade. */
  private cascading = false;
  private readonly dirty: SymbolState[] = [];

  constructor(opts: ExchangeOptions) {
    this.now = opts.now;
    this.makerFeePpm = opts.makerFeePpm ?? 200;
    this.takerFeePpm = opts.takerFeePpm ?? 500;
    this.maintenancePpm = opts.maintenancePpm ?? 4000;
    this.defaultLeverage = opts.defaultLeverage ?? 20;
    this.markMode = opts.markMode ?? "last";
    this.indexFeed = opts.indexFeed;
    this.basisSampleMs = opts.basisSampleMs ?? 5000;
    this.basisWindow = opts.basisWindow ?? 12;
    this.tradeHistory = opts.tradeHistoryPerSymbol ?? 0;
    const r = opts.orderRetention;
    if (
      r !== undefined &&
      !(r.unfilledMs > 0 && r.filledMs > 0 && Number.isSafeInteger(r.maxFinalOrders) && r.maxFinalOrders >= 0)
    )
      throw new Error(`bad order retention ${JSON.stringify(r)}`);
    this.retention = r;
    this.maxFinalOrders = r?.maxFinalOrders ?? Number.POSITIVE_INFINITY;
    this.fund = opts.insuranceFund ?? 0;
    this.deposits = this.fund;
    let cd = 6;
    for (const spec of opts.symbols) cd = Math.max(cd, decimals(spec.tickSize) + decimals(spec.stepSize));
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

  /**
   * Registers a listener called once per position change (each account side of each fill),
   * in order: for each fill, the taker's change then the maker's. The position passed is
   * the live object: a listener must copy whatever it keeps. Listeners run synchronously
   * inside placeOrder and should not call back into the engine.
   */
  onPositionChange(listener: PositionListener): void {
    this.listeners.push(listener);
  }

  /** Liquidation and ADL closes, in the order they happen. Must not call back into the engine. */
  onLiquidation(listener: LiquidationListener): void {
    this.liquidationListeners.push(listener);
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

  // ---- accounts -------------------------------------------------------------------------

  /**
   * Creates a checked (margin-checked, liquidatable) account with `balance` cash units, or
   * makes an existing wallet checked and adds the deposit.
   */
  createAccount(accountId: number, balance: number): void {
    if (!Number.isSafeInteger(balance) || balance < 0) throw new Error(`bad balance ${balance}`);
    const w = this.walletOf(accountId);
    if (!w.checked) this.checkedAccounts++;
    w.checked = true;
    this.updateRisk(w);
    w.cash += balance;
    this.deposits += balance;
  }

  /** Leverage per account and symbol, 1..125. */
  setLeverage(accountId: number, symbol: string, leverage: number): void {
    this.stateOf(symbol);
    if (!Number.isInteger(leverage) || leverage < 1 || leverage > 125)
      throw new Error(`bad leverage ${leverage}`);
    this.walletOf(accountId).leverage.set(symbol, leverage);
  }

  leverage(accountId: number, symbol: string): number {
    return this.wallets.get(accountId)?.leverage.get(symbol) ?? this.defaultLeverage;
  }

  account(accountId: number): AccountSummary {
    const w = this.wallets.get(accountId);
    if (w === undefined)
      return {
        accountId,
        wallet: 0,
        unrealized: 0,
        marginBalance: 0,
        initialMargin: 0,
        maintenanceMargin: 0,
        available: 0,
        checked: false,
      };
    let unrealized = 0;
    let im = 0;
    let mm = 0;
    for (const { state, account } of w.symbols) {
      const c = state.cashPerTickLot;
      const mark = state.markTicks;
      unrealized += (account.position.amountLots * mark - account.cost) * c;
      const lev = w.leverage.get(state.spec.symbol) ?? this.defaultLeverage;
      const posNotional = Math.abs(account.position.amountLots) * mark * c;
      let orderNotional = 0;
      for (const o of account.open.values())
        if (o.type === "LIMIT" && o.reduceOnly !== true)
          orderNotional += (o.origLots - o.executedLots) * o.priceTicks;
      im += Math.ceil((posNotional + orderNotional * c) / lev);
      mm += Math.ceil((posNotional * this.maintenancePpm) / 1e6);
    }
    const marginBalance = w.cash + unrealized;
    return {
      accountId,
      wallet: w.cash,
      unrealized,
      marginBalance,
      initialMargin: im,
      maintenanceMargin: mm,
      available: marginBalance - im,
      checked: w.checked,
    };
  }

  /** Fees collected and the insurance fund, in cash units; deposits = Σ createAccount + initial fund. */
  ledger(): { fees: number; insuranceFund: number; deposits: number; wallets: number; unrealized: number } {
    let wallets = 0;
    let unrealized = 0;
    for (const w of this.wallets.values()) {
      const a = this.account(w.accountId);
      wallets += a.wallet;
      unrealized += a.unrealized;
    }
    return { fees: this.fees, insuranceFund: this.fund, deposits: this.deposits, wallets, unrealized };
  }

  /** Integer cost (Σ signed lots x price of the open lots) of a position, ticks x lots. */
  positionCost(accountId: number, symbol: string): number {
    return this.symbols.get(symbol)?.accounts.get(accountId)?.cost ?? 0;
  }

  /**
   * The account's own fills on `symbol` kept by the trade history (the newest
   * `tradeHistoryPerSymbol`), filtered by `q`, oldest first. Fills of auto-deleveraging have no
   * order and are not kept; liquidation orders' fills are.
   */
  userTrades(accountId: number, symbol: string, q: TradeQuery): TradeRecord[] {
    return this.symbols.get(symbol)?.accounts.get(accountId)?.trades?.query(q) ?? [];
  }

  /**
   * Cross-margin liquidation price (fractional ticks) of the account's one-way position on
   * `symbol`: the mark at which liquidateAll would take the account, with every other position
   * held at its current mark. liquidateAll fires when marginBalance <= maintenanceMargin, and
   * with this symbol's mark at P (a = signed lots, cost = Σ lots x price of the open lots,
   * c = cash per tick x lot, m = maintenance rate):
   *   marginBalance(P) = wallet + U_other + (a·P − cost)·c
   *   maintenance(P)   = MM_other + |a|·P·c·m
   * equal at  P = (MM_other − wallet − U_other + cost·c) / (c·(a − |a|·m)).
   * Long: liquidated at or below P; short: at or above. 0 when flat, for accounts the liquidation
   * engine ignores (not created with createAccount), and when no positive price reaches it (a
   * long covered by its margin). The engine rounds each symbol's maintenance up to a cash unit,
   * so the true trigger can sit a fraction of a cash unit's worth of price above P (long).
   */
  liquidationPriceTicks(accountId: number, symbol: string): number {
    const w = this.wallets.get(accountId);
    const state = this.stateOf(symbol);
    const own = state.accounts.get(accountId);
    const a = own?.position.amountLots ?? 0;
    if (w === undefined || !w.checked || own === undefined || a === 0) return 0;
    let other = 0; // U_other − MM_other
    // Indexed: positionRisk calls this per row on the read path.
    for (let i = 0; i < w.symbols.length; i++) {
      const { state: s, account } = w.symbols[i] as (typeof w.symbols)[number];
      if (s === state) continue;
      const amount = account.position.amountLots;
      const c = s.cashPerTickLot;
      other += (amount * s.markTicks - account.cost) * c;
      other -= Math.ceil((Math.abs(amount) * s.markTicks * c * this.maintenancePpm) / 1e6);
    }
    const c = state.cashPerTickLot;
    const m = this.maintenancePpm / 1e6;
    const p = (own.cost * c - w.cash - other) / (c * (a - Math.abs(a) * m));
    return p > 0 && Number.isFinite(p) ? p : 0;
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
    if (this.checkedAccounts > 0 && !this.cascading) {
      this.cascading = true;
      try {
        this.liquidateAll(state);
      } finally {
        this.cascading = false;
      }
      // Liquidations traded: let marks move and the cascade run as after any trade.
      for (const s of this.dirty.splice(0)) this.afterChange(s);
    }
    this.sweepAfterCascade();
    return { paid, received };
  }

  // ---- mark price -----------------------------------------------------------------------

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

  // ---- orders -----------------------------------------------------------------------------

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
    const book = state.book;
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
    let lots = input.lots;
    if (conditional) {
      const probe = { type: input.type, side: input.side, stopPriceTicks: input.stopPriceTicks } as Order;
      if (triggers(probe, state.markTicks)) return err("WOULD_IMMEDIATELY_TRIGGER");
      if (closePosition) lots = 0;
      else if (
        !reduceOnly &&
        state.minNotional > 0 &&
        lots * (input.stopPriceTicks as number) < state.minNotional
      )
        return err("MIN_NOTIONAL");
    } else {
      if (reduceOnly) {
        const amount = account?.position.amountLots ?? 0;
        if (amount === 0 || amount > 0 === (input.side === "BUY")) return err("REDUCE_ONLY_REJECTED");
        lots = Math.min(lots, Math.abs(amount));
      }
      if (input.timeInForce === "FOK" && book.fillableLots(input.side, limit, lots) < lots)
        return FOK_NOT_FILLABLE;
      if (input.timeInForce === "GTX" && !isMarket && book.wouldTake(input.side, limit))
        return POST_ONLY_WOULD_TAKE;
      if (!reduceOnly && state.minNotional > 0) {
        const px = isMarket ? state.markTicks : input.priceTicks;
        if (lots * px < state.minNotional) return err("MIN_NOTIONAL");
      }
      if (!reduceOnly && this.checkedAccounts > 0) {
        const w = this.wallets.get(input.accountId);
        if (
          w?.checked === true &&
          !this.marginAllows(w, state, account, input.side, lots, isMarket ? state.markTicks : limit)
        )
          return err("MARGIN_INSUFFICIENT");
      }
    }

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
      origLots: lots,
      executedLots: 0,
      cumQuoteTicksLots: 0,
      status: "NEW",
      reduceOnly,
      closePosition,
      stopPriceTicks: conditional ? (input.stopPriceTicks as number) : 0,
      liquidation: false,
      time: now,
      updateTime: now,
    };
    if (account === undefined) account = this.accountOf(state, input.accountId);
    this.orders.append(orderId, order);
    if (input.clientOrderId !== "") {
      account.byClientId.set(input.clientOrderId, order);
      this.suppliedClientIds = true;
    }

    if (conditional) {
      state.stops.push(order);
      this.pendingStops++;
      account.open.set(orderId, order);
      if (this.orderListeners.length > 0) this.orderUpdate("NEW", order, undefined);
      return { order, fills: EMPTY_FILLS };
    }
    if (this.orderListeners.length > 0) this.orderUpdate("NEW", order, undefined);
    const result = this.execute(state, account, order, limit, now);
    this.sweepIfDue(now);
    return result;
  }

  /**
   * Matches `order` (new, or re-priced by a modify) at `limit`, then rests or expires the
   * remainder, settles the fills and runs the mark/trigger/liquidation cascade.
   */
  private execute(
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
  private finish(state: SymbolState, order: Order, status: "CANCELED" | "EXPIRED", now: number): void {
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

  private walletOf(accountId: number): Wallet {
    let w = this.wallets.get(accountId);
    if (w === undefined) {
      const seq = this.walletsBySeq.length;
      w = { accountId, cash: 0, checked: false, leverage: new Map(), symbols: [], seq, openPositions: 0 };
      this.wallets.set(accountId, w);
      this.walletsBySeq.push(w);
    }
    return w;
  }

  private accountOf(state: SymbolState, accountId: number): AccountSymbol {
    let account = state.accounts.get(accountId);
    if (account === undefined) {
      const wallet = this.walletOf(accountId);
      account = {
        position: flatPosition(state.spec.symbol),
        open: new Map(),
        byClientId: new Map(),
        cost: 0,
        hasReduceOnly: false,
        wallet,
        trades: undefined,
      };
      state.accounts.set(accountId, account);
      wallet.symbols.push({ state, account });
    }
    return account;
  }

  /**
   * Whether a checked account can afford a new order of `lots` at `priceTicks` (or `extra`
   * ticks x lots of order notional): the part of an order that only reduces the position is
   * free; the rest needs notional / leverage of available margin (marginBalance − IM).
   */
  private marginAllows(
    w: Wallet,
    state: SymbolState,
    account: AccountSymbol | undefined,
    side: Side,
    lots: number,
    priceTicks: number,
    extra = 0,
  ): boolean {
    const amount = account?.position.amountLots ?? 0;
    const reducible = amount !== 0 && amount > 0 !== (side === "BUY") ? Math.abs(amount) : 0;
    const charged = Math.max(0, lots - reducible) * priceTicks + extra;
    if (charged === 0) return true;
    const lev = w.leverage.get(state.spec.symbol) ?? this.defaultLeverage;
    const need = Math.ceil((charged * state.cashPerTickLot) / lev);
    return this.account(w.accountId).available >= need;
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
    if (this.retention !== undefined && !isOpen(order) && this.pastHorizon(order, this.retention))
      return undefined;
    return order;
  }

  private orderById(orderId: number): Order | undefined {
    return Number.isInteger(orderId) ? this.orders.get(orderId) : undefined;
  }

  // ---- retention --------------------------------------------------------------------------

  /** Open orders and final orders not yet forgotten: what the engine holds. */
  ordersHeld(): number {
    return this.orders.size;
  }

  /** Whether a final order was created longer ago than its horizon (forgotten, swept or not). */
  private pastHorizon(order: Order, r: OrderRetention): boolean {
    return this.now() - order.time > (order.executedLots === 0 ? r.unfilledMs : r.filledMs);
  }

  /** Queues an order that has just become final, to be forgotten by its horizon or the cap. */
  private retire(order: Order): void {
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
  private sweepIfDue(now: number): void {
    if (now > this.nextForgetMs || this.finalUnfilled.size + this.finalFilled.size > this.maxFinalOrders)
      this.sweep(now);
  }

  /** sweepIfDue after a mark move or a funding settlement (stops and liquidations end orders too). */
  private sweepAfterCascade(): void {
    if (this.retention !== undefined) this.sweepIfDue(this.now());
  }

  private sweep(now: number): void {
    const unfilled = this.finalUnfilled;
    const filled = this.finalFilled;
    while (now > unfilled.headForgetAtMs()) this.forget(unfilled.shift());
    while (now > filled.headForgetAtMs()) this.forget(filled.shift());
    while (unfilled.size + filled.size > this.maxFinalOrders)
      this.forget((unfilled.headSeq() < filled.headSeq() ? unfilled : filled).shift());
    this.nextForgetMs = Math.min(unfilled.headForgetAtMs(), filled.headForgetAtMs());
  }

  /** Drops a final order from the index and from its account's clientOrderId map. */
  private forget(orderId: number): void {
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

  /** Drops fully filled makers from their open sets, then applies the fills to positions and cash. */
  private settle(state: SymbolState, takerOrder: Order, fills: readonly Fill[], now: number): void {
    const takerSign = takerOrder.side === "BUY" ? 1 : -1;
    const accounts = state.accounts;
    const firstTradeId = this.nextTradeId;
    this.nextTradeId += fills.length;
    const report = this.orderListeners.length > 0;
    // The taker's executed lots and quote before these fills (a modified order may have traded before).
    let takerExecuted = takerOrder.executedLots;
    let takerQuote = takerOrder.cumQuoteTicksLots;
    if (report)
      for (let i = 0; i < fills.length; i++) {
        const f = fills[i] as Fill;
        takerExecuted -= f.lots;
        takerQuote -= f.lots * f.priceTicks;
      }
    // Before any listener runs: a listener that re-enters the engine would reuse filledMakers.
    const done = state.book.filledMakers;
    for (let i = 0; i < done.length; i++) {
      const maker = done[i] as Order;
      accounts.get(maker.accountId)?.open.delete(maker.orderId);
      this.retire(maker);
    }
    const c = state.cashPerTickLot;
    let trim = false;
    for (let i = 0; i < fills.length; i++) {
      const fill = fills[i] as Fill;
      const takerAcc = accounts.get(fill.takerAccountId) as AccountSymbol;
      const makerAcc = accounts.get(fill.makerAccountId) as AccountSymbol;
      const notional = fill.lots * fill.priceTicks * c;
      const takerFee = Math.floor((notional * this.takerFeePpm) / 1e6);
      const makerFee = Math.floor((notional * this.makerFeePpm) / 1e6);
      takerAcc.wallet.cash -= takerFee;
      makerAcc.wallet.cash -= makerFee;
      this.fees += takerFee + makerFee;
      const taker = takerAcc.position;
      const maker = makerAcc.position;
      let takerRealized = 0;
      let makerRealized = 0;
      if (taker === maker) {
        // Self-trade: the account buys and sells the same lots at the same price, which nets
        // to nothing. Applying the sides one after the other would not: the intermediate
        // state would move the entry and realise PnL. Both sides are still reported.
        taker.updateTime = now;
        this.notify(fill.takerAccountId, taker);
        this.notify(fill.makerAccountId, maker);
      } else {
        const takerCash = takerAcc.wallet.cash;
        this.applyCash(takerAcc, takerSign * fill.lots, fill.priceTicks, c);
        takerRealized = takerAcc.wallet.cash - takerCash;
        this.fillPosition(takerAcc, takerSign * fill.lots, fill.priceTicks, now);
        this.notify(fill.takerAccountId, taker);
        const makerCash = makerAcc.wallet.cash;
        this.applyCash(makerAcc, -takerSign * fill.lots, fill.priceTicks, c);
        makerRealized = makerAcc.wallet.cash - makerCash;
        this.fillPosition(makerAcc, -takerSign * fill.lots, fill.priceTicks, now);
        this.notify(fill.makerAccountId, maker);
        if (takerAcc.hasReduceOnly || makerAcc.hasReduceOnly) trim = true;
      }
      if (report) {
        takerExecuted += fill.lots;
        takerQuote += fill.lots * fill.priceTicks;
        const tradeId = firstTradeId + i;
        this.tradeUpdate(
          takerOrder,
          tradeId,
          fill,
          takerExecuted,
          takerQuote,
          false,
          takerFee,
          takerRealized,
        );
        // A maker order meets the taker once per match: its totals are those after this fill.
        const mo = this.orderById(fill.makerOrderId) as Order;
        this.tradeUpdate(
          mo,
          tradeId,
          fill,
          mo.executedLots,
          mo.cumQuoteTicksLots,
          true,
          makerFee,
          makerRealized,
        );
      }
      if (this.tradeHistory > 0) {
        const tradeId = firstTradeId + i;
        const buy = takerSign > 0;
        const { priceTicks, lots } = fill;
        this.tradesOf(takerAcc).push(
          tradeId,
          fill.takerOrderId,
          priceTicks,
          lots,
          notional,
          takerRealized,
          takerFee,
          now,
          buy,
          false,
        );
        this.tradesOf(makerAcc).push(
          tradeId,
          fill.makerOrderId,
          priceTicks,
          lots,
          notional,
          makerRealized,
          makerFee,
          now,
          !buy,
          true,
        );
      }
    }
    if (trim)
      for (const account of accounts.values())
        if (account.hasReduceOnly) this.trimReduceOnly(state, account, now);
  }

  /** Integer cost accounting of one fill; realised PnL goes to the wallet. */
  private applyCash(account: AccountSymbol, signedLots: number, priceTicks: number, c: number): void {
    const amount = account.position.amountLots;
    if (amount === 0 || amount > 0 === signedLots > 0) {
      account.cost += signedLots * priceTicks;
      return;
    }
    const closed = Math.min(Math.abs(amount), Math.abs(signedLots));
    const share = Math.trunc((account.cost * closed) / Math.abs(amount));
    const closedSigned = signedLots > 0 ? closed : -closed;
    account.wallet.cash += (-closedSigned * priceTicks - share) * c;
    account.cost -= share;
    const rest = signedLots - closedSigned;
    if (rest !== 0) account.cost += rest * priceTicks;
  }

  /** Shrinks or cancels resting reduce-only orders so that they never exceed the position. */
  private trimReduceOnly(state: SymbolState, account: AccountSymbol, now: number): void {
    const amount = account.position.amountLots;
    let allowed = Math.abs(amount);
    let found = false;
    for (const o of [...account.open.values()]) {
      if (o.reduceOnly !== true || o.type !== "LIMIT") continue;
      found = true;
      const reduces = amount !== 0 && amount > 0 !== (o.side === "BUY");
      const rem = o.origLots - o.executedLots;
      if (!reduces || allowed === 0) this.finish(state, o, "EXPIRED", now);
      else if (rem > allowed) {
        state.book.resize(o.orderId, o.executedLots + allowed);
        allowed = 0;
      } else allowed -= rem;
    }
    account.hasReduceOnly = found;
  }

  /** The account's fill history on a symbol, made on its first fill. */
  private tradesOf(account: AccountSymbol): TradeRing {
    let ring = account.trades;
    if (ring === undefined) {
      ring = new TradeRing(this.tradeHistory);
      account.trades = ring;
    }
    return ring;
  }

  private orderUpdate(type: ExecutionType, order: Order, fill: OrderFillInfo | undefined): void {
    const listeners = this.orderListeners;
    for (let i = 0; i < listeners.length; i++) (listeners[i] as OrderUpdateListener)(type, order, fill);
  }

  private tradeUpdate(
    order: Order,
    tradeId: number,
    fill: Fill,
    executedLots: number,
    cumQuoteTicksLots: number,
    maker: boolean,
    feeCash: number,
    realizedCash: number,
  ): void {
    const info = this.fillInfo;
    info.tradeId = tradeId;
    info.lots = fill.lots;
    info.priceTicks = fill.priceTicks;
    info.executedLots = executedLots;
    info.cumQuoteTicksLots = cumQuoteTicksLots;
    info.maker = maker;
    info.feeCash = feeCash;
    info.realizedCash = realizedCash;
    this.orderUpdate("TRADE", order, info);
  }

  private notify(accountId: number, position: Position): void {
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) (listeners[i] as PositionListener)(accountId, position);
  }

  // ---- mark, triggers, liquidation cascade ----------------------------------------------

  /** Recomputes the mark of `state`; on a change, triggers stops and liquidates. Re-entrant safe. */
  private afterChange(state: SymbolState): void {
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

  private computeMark(s: SymbolState): number {
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

  /** Triggered conditional orders run as MARKET, in price-time order (stop nearest the old mark first). */
  private triggerStops(s: SymbolState): void {
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
          continue;
        }
        o.origLots = o.closePosition === true ? Math.abs(amount) : Math.min(o.origLots, Math.abs(amount));
      }
      o.updateTime = now;
      this.execute(s, account, o, marketLimit(o.side), now);
    }
  }

  /**
   * Closes every checked account whose maintenance margin reaches its margin balance, in
   * account creation order. Only accounts holding a position can (a flat one has no
   * maintenance margin), so only those are looked at: the at-risk bits are read as the scan
   * goes, so an account that a liquidation's fills open a position for is still visited if it
   * comes later, as a scan of every account would.
   */
  private liquidateAll(trigger: SymbolState): void {
    for (let seq = this.nextAtRisk(0); seq >= 0; seq = this.nextAtRisk(seq + 1)) {
      const w = this.walletsBySeq[seq] as Wallet;
      if (this.maintenanceBreached(w)) this.liquidate(w, trigger);
    }
  }

  /**
   * account()'s marginBalance <= maintenanceMargin (> 0), with the same sums in the same order,
   * without account()'s pass over the open orders (initial margin is not needed here: the
   * house account alone rests hundreds of orders).
   */
  private maintenanceBreached(w: Wallet): boolean {
    let unrealized = 0;
    let mm = 0;
    for (const { state, account } of w.symbols) {
      const c = state.cashPerTickLot;
      const mark = state.markTicks;
      unrealized += (account.position.amountLots * mark - account.cost) * c;
      const posNotional = Math.abs(account.position.amountLots) * mark * c;
      mm += Math.ceil((posNotional * this.maintenancePpm) / 1e6);
    }
    return mm !== 0 && w.cash + unrealized <= mm;
  }

  /** applyFillToPosition, keeping the wallet's count of positions and its at-risk bit. */
  private fillPosition(account: AccountSymbol, signedLots: number, priceTicks: number, now: number): void {
    const position = account.position;
    const before = position.amountLots;
    applyFillToPosition(position, signedLots, priceTicks, now);
    const after = position.amountLots;
    if ((before === 0) === (after === 0)) return;
    const w = account.wallet;
    w.openPositions += after === 0 ? -1 : 1;
    // An unchecked wallet's bit is never set; createAccount sets it if positions are open then.
    if (w.checked) this.updateRisk(w);
  }

  private updateRisk(w: Wallet): void {
    const word = w.seq >>> 5;
    const bit = 1 << (w.seq & 31);
    const bits = this.atRisk;
    while (bits.length <= word) bits.push(0);
    const words = bits[word] as number;
    bits[word] = w.checked && w.openPositions > 0 ? words | bit : words & ~bit;
  }

  /** The lowest at-risk seq >= from, or -1. */
  private nextAtRisk(from: number): number {
    const bits = this.atRisk;
    let word = from >>> 5;
    if (word >= bits.length) return -1;
    let m = (bits[word] as number) & (-1 << (from & 31));
    while (m === 0) {
      if (++word >= bits.length) return -1;
      m = bits[word] as number;
    }
    return (word << 5) + 31 - Math.clz32(m & -m);
  }

  private liquidate(w: Wallet, trigger: SymbolState): void {
    const now = this.now();
    for (const { state, account } of w.symbols)
      for (const o of [...account.open.values()]) this.finish(state, o, "CANCELED", now);
    for (const { state, account } of w.symbols) {
      const amount = account.position.amountLots;
      if (amount === 0) continue;
      const side: Side = amount > 0 ? "SELL" : "BUY";
      // Bankruptcy price: where this account's margin balance reaches zero.
      const mb = this.account(w.accountId).marginBalance;
      const raw = state.markTicks - mb / (amount * state.cashPerTickLot);
      const bankrupt = Math.max(1, amount > 0 ? Math.ceil(raw) : Math.floor(raw));
      const order: Order = {
        orderId: this.nextOrderId++,
        clientOrderId: "",
        accountId: w.accountId,
        symbol: state.spec.symbol,
        side,
        type: "LIMIT",
        timeInForce: "IOC" as TimeInForce,
        priceTicks: bankrupt,
        origLots: Math.abs(amount),
        executedLots: 0,
        cumQuoteTicksLots: 0,
        status: "NEW",
        reduceOnly: true,
        closePosition: false,
        stopPriceTicks: 0,
        liquidation: true,
        time: now,
        updateTime: now,
      };
      order.clientOrderId = `autoclose-${order.orderId}`;
      this.orders.append(order.orderId, order);
      if (this.orderListeners.length > 0) this.orderUpdate("NEW", order, undefined);
      this.execute(state, account, order, bankrupt, now);
      if (order.executedLots > 0)
        this.emit({
          kind: "LIQUIDATION",
          accountId: w.accountId,
          symbol: state.spec.symbol,
          side,
          lots: order.executedLots,
          avgPriceTicks: order.cumQuoteTicksLots / order.executedLots,
          priceTicks: bankrupt,
          origLots: order.origLots,
          markPriceTicks: trigger.markTicks,
          time: now,
        });
      const left = account.position.amountLots;
      if (left !== 0) this.autoDeleverage(state, account, bankrupt, now);
    }
    // Surplus to the insurance fund, shortfall from it (as far as it goes).
    if (w.cash > 0) {
      this.fund += w.cash;
      w.cash = 0;
    } else if (w.cash < 0) {
      const cover = Math.min(-w.cash, Math.max(0, this.fund));
      this.fund -= cover;
      w.cash += cover;
    }
  }

  /**
   * What the book could not take at the bankruptcy price is closed against the opposite
   * positions with the highest ADL rank (profit% x leverage), at the bankruptcy price.
   */
  private autoDeleverage(state: SymbolState, loser: AccountSymbol, price: number, now: number): void {
    const amount = loser.position.amountLots;
    const ranked: Array<{ acc: AccountSymbol; rank: number }> = [];
    for (const acc of state.accounts.values()) {
      const p = acc.position.amountLots;
      if (acc === loser || p === 0 || p > 0 === amount > 0) continue;
      const pnl = p * state.markTicks - acc.cost;
      const lev = acc.wallet.leverage.get(state.spec.symbol) ?? this.defaultLeverage;
      ranked.push({ acc, rank: acc.cost === 0 ? 0 : (pnl / Math.abs(acc.cost)) * lev });
    }
    ranked.sort((a, b) => b.rank - a.rank || a.acc.wallet.accountId - b.acc.wallet.accountId);
    const c = state.cashPerTickLot;
    let left = Math.abs(amount);
    const loserSign = amount > 0 ? -1 : 1;
    for (const { acc } of ranked) {
      if (left === 0) break;
      const lots = Math.min(left, Math.abs(acc.position.amountLots));
      left -= lots;
      this.applyCash(loser, loserSign * lots, price, c);
      this.fillPosition(loser, loserSign * lots, price, now);
      this.notify(loser.wallet.accountId, loser.position);
      this.applyCash(acc, -loserSign * lots, price, c);
      this.fillPosition(acc, -loserSign * lots, price, now);
      this.notify(acc.wallet.accountId, acc.position);
      const common = {
        symbol: state.spec.symbol,
        lots,
        avgPriceTicks: price,
        priceTicks: price,
        origLots: lots,
        markPriceTicks: state.markTicks,
        time: now,
      };
      this.emit({
        kind: "LIQUIDATION",
        accountId: loser.wallet.accountId,
        side: loserSign > 0 ? "BUY" : "SELL",
        ...common,
      });
      this.emit({
        kind: "ADL",
        accountId: acc.wallet.accountId,
        side: loserSign > 0 ? "SELL" : "BUY",
        ...common,
      });
      if (acc.hasReduceOnly) this.trimReduceOnly(state, acc, now);
    }
  }

  private emit(event: LiquidationEvent): void {
    for (const l of this.liquidationListeners) l(event);
  }
}
