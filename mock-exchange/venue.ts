import { randomBytes } from "node:crypto";
import { ApiError, ERR, type ExchangeErrorSpec, errorBody } from "../loadtests/vocabulary/exchangeErrors.ts";
import { type SigningKey, signingKey } from "./api/auth.ts";
import { formatUnits, Params } from "./api/params.ts";
import { DEPTH_LIMITS, KLINE_DEFAULT_LIMIT, KLINE_MAX_LIMIT, type RouteName } from "./api/routes.ts";
import { CapacityModel } from "./capacity/model.ts";
import { ReadReplica } from "./capacity/readReplica.ts";
import type { ExchangeConfig } from "./defaults.ts";
import { FundingClock, premiumIndex, RATE_UNITS_PER_ONE } from "./engine/funding.ts";
import { MatchingEngine } from "./engine/matchingEngine.ts";
import type { TradeQuery, TradeRecord } from "./engine/tradeLog.ts";
import type {
  LiquidationEvent,
  Order,
  OrderErrorCode,
  OrderType,
  PlaceOrderInput,
  Side,
  SymbolSpec,
  TimeInForce,
} from "./engine/types.ts";
import { ForceOrderThrottle } from "./forceOrderThrottle.ts";
import { IpLimiter } from "./limits/ipLimiter.ts";
import { OrderCountLimiter } from "./limits/orderCountLimiter.ts";
import { limitWindowCompression } from "./limits/window.ts";
import { ListenKeys } from "./listenKeys.ts";
import { dayTickerJson, KLINE_INTERVALS, type KlineQuery, klineJson, MarketData } from "./marketData.ts";
import { MarketPath } from "./marketEvents.ts";
import { type Random, seededRandom } from "./random.ts";
import { Timeline } from "./timeline.ts";

/**
 * One venue's state: engine, limits, capacity model, read replica and timeline, built from a
 * config and a seed. The HTTP layer (api/server.ts) parses and routes; this decides and executes.
 */

export interface AccountKey {
  accountId: number;
  apiKey: string;
  /** HMAC-SHA256 secret of SIGNED requests (hex, 64 characters). */
  apiSecret: string;
}

/** What a handler produced, ready to send. */
export interface Outcome {
  status: number;
  body: string;
}

type OrderRef = { orderId: number | undefined; clientOrderId: string | undefined };

export type ParsedRequest =
  | { route: "ping" | "time" | "exchangeInfo" | "balance" | "balanceV3" | "account" | "accountV3" }
  | { route: "depth"; symbol: string; limit: number }
  | {
      route:
        | "tickerPrice"
        | "tickerPriceV2"
        | "ticker24hr"
        | "premiumIndex"
        | "openOrders"
        | "leverageBracket";
      symbol: string | undefined;
    }
  | { route: "klines"; symbol: string; query: KlineQuery }
  | { route: "newOrder"; order: PlaceOrderInput }
  /** Each order parsed on its own: valid ones as engine input, refused ones as their `{code,msg}` body. */
  | { route: "batchOrders"; orders: Array<PlaceOrderInput | string> }
  | { route: "cancelBatch"; symbol: string; refs: Array<{ orderId: number } | { clientOrderId: string }> }
  | { route: "userTrades"; symbol: string; query: TradeQuery }
  | ({ route: "cancelOrder" | "getOrder" | "openOrder"; symbol: string } & OrderRef)
  | ({ route: "modifyOrder"; symbol: string; side: Side; lots: number; priceTicks: number } & OrderRef)
  | { route: "cancelAll"; symbol: string }
  | { route: "positionRisk" | "positionRiskV3"; symbol: string | undefined }
  | { route: "leverage"; symbol: string; leverage: number }
  | { route: "listenKeyStart" | "listenKeyKeepalive" | "listenKeyClose" };

const SIDES = ["BUY", "SELL"] as const;
const REVERSED_SIDES = ["SELL", "BUY"] as const;
/** The engine's maintenance margin rate (engine/accounts.ts maintenancePpm 4000) and taker fee (500 ppm). */
const MAINTENANCE_RATE = 0.004;
const TAKER_FEE_RATE = 0.0005;
const TYPES = ["LIMIT", "MARKET", "STOP_MARKET", "TAKE_PROFIT_MARKET"] as const;
const TIFS = ["GTC", "IOC", "FOK", "GTX"] as const;
const BOOLS = ["true", "false"] as const;
const HOUSE_ACCOUNT = 0;
/**
 * The symbol filters exchangeInfo states (LOT_SIZE / MARKET_LOT_SIZE maxQty in lots, PRICE_FILTER
 * maxPrice in ticks), enforced at the edge like Binance's: -4005, -4002, -4007 above them.
 */
const MAX_LOTS = 1_000_000_000;
const maxPriceTicks = (spec: SymbolSpec) => spec.referencePriceTicks * 100;
function atMost(value: number, max: number, refusal: ExchangeErrorSpec): number {
  if (value > max) throw new ApiError(refusal);
  return value;
}

/** The engine's rejections in the dialect (reference.md "Codes worth having"). */
const ENGINE_ERRORS: Record<OrderErrorCode, ExchangeErrorSpec> = {
  UNKNOWN_ORDER: ERR.UNKNOWN_ORDER,
  NO_SUCH_ORDER: ERR.NO_SUCH_ORDER,
  DUPLICATE_CLIENT_ORDER_ID: ERR.DUPLICATE_CLIENT_ORDER_ID,
  POST_ONLY_WOULD_TAKE: ERR.POST_ONLY_WOULD_TAKE,
  FOK_NOT_FILLABLE: ERR.FOK_NOT_FILLABLE,
  MIN_NOTIONAL: ERR.MIN_NOTIONAL,
  REDUCE_ONLY_REJECTED: ERR.REDUCE_ONLY_REJECTED,
  MARGIN_INSUFFICIENT: ERR.MARGIN_INSUFFICIENT,
  WOULD_IMMEDIATELY_TRIGGER: ERR.WOULD_IMMEDIATELY_TRIGGER,
  INVALID_ORDER: ERR.BAD_PARAM_COMBO,
  MODIFY_NOT_ALLOWED: ERR.MODIFY_NOT_ALLOWED,
};

/** Cancels, reduce-only and close-position orders pass overload shedding (reference.md "503 -1008"). */
export function isPriority(req: ParsedRequest): boolean {
  switch (req.route) {
    case "cancelOrder":
    case "cancelAll":
    case "cancelBatch":
      return true;
    case "newOrder":
      return req.order.reduceOnly === true || req.order.closePosition === true;
    // A batch is one request of new orders: Binance lists no exemption for it, even if every
    // order in it is reduce-only.
    default:
      return false;
  }
}

/**
 * Orders a request places or changes, for the per-account order-count limits: 1 for a new or
 * modified order, the number of orders in a batch (refused ones included: the request carried
 * them), 0 otherwise. Binance USDⓈ-M documents a batch as 5 on the 10 s counter and 1 on the
 * minute counter whatever its size ("Place Multiple Orders"); this is the count by order.
 */
export function ordersPlacedBy(req: ParsedRequest): number {
  switch (req.route) {
    case "newOrder":
    case "modifyOrder":
      return 1;
    case "batchOrders":
      return req.orders.length;
    default:
      return 0;
  }
}

/**
 * API keys and secrets derived from a seed: the same on every venue given that seed, so only
 * for tests and benchmarks that ask for it (`secretsSeed`). Secrets come from their own stream:
 * the keys stay what they were.
 */
export function deriveAccountKeys(seed: number, count: number): AccountKey[] {
  return accountKeys(seededRandom(seed ^ 0x5eed), seededRandom(seed ^ 0x5ec7e7), count);
}

/**
 * Uniform numbers in [0, 1) from the operating system's CSPRNG, 32 bits a draw: for keys,
 * secrets and listenKeys that nobody may guess from the seed (which run.json records).
 */
export function unpredictableRandom(): Random {
  return () => randomBytes(4).readUInt32LE(0) / 0x100000000;
}

/**
 * The venue's account keys: derived from `config.secretsSeed` when it is set, otherwise random,
 * so two venues never share a key or a secret and none can be re-derived from `config.seed`.
 */
export function provisionAccountKeys(
  config: Pick<ExchangeConfig, "secretsSeed">,
  count: number,
): AccountKey[] {
  if (config.secretsSeed !== undefined) return deriveAccountKeys(config.secretsSeed, count);
  return accountKeys(unpredictableRandom(), unpredictableRandom(), count);
}

/** 128-bit keys (stp + 32 hex) and 256-bit secrets (64 hex), 32 bits per draw. */
function accountKeys(keyRandom: Random, secretRandom: Random, count: number): AccountKey[] {
  const hexOf = (random: Random) => () =>
    Math.floor(random() * 0x100000000)
      .toString(16)
      .padStart(8, "0");
  const hex = hexOf(keyRandom);
  const secretHex = hexOf(secretRandom);
  const keys: AccountKey[] = [];
  for (let accountId = 1; accountId <= count; accountId++) {
    let apiSecret = "";
    for (let i = 0; i < 8; i++) apiSecret += secretHex();
    keys.push({ accountId, apiKey: `stp${hex()}${hex()}${hex()}${hex()}`, apiSecret });
  }
  return keys;
}

/** USDT as the engine's integer cash units (10^-cashDecimals USDT). */
function usdtToCash(usdt: number, cashDecimals: number): number {
  return Math.round(usdt * 10 ** cashDecimals);
}

export class Venue {
  readonly originMs: number;
  readonly engine: MatchingEngine;
  /** Per client IP: bans, request weight (limits/ipLimiter.ts). */
  readonly limiter: IpLimiter;
  /** Per account: order counts per 10 s and per minute. */
  readonly orderLimiter: OrderCountLimiter;
  readonly capacity: CapacityModel;
  readonly replica: ReadReplica;
  readonly timeline: Timeline;
  /** User data stream keys (listenKeys.ts): valid 60 natural minutes, compressed by the time scale. */
  readonly listenKeys: ListenKeys;
  /** Candles and 24 h statistics from the venue's trades (marketData.ts). */
  readonly marketData: MarketData;
  /** The forceOrder feed's throttle: every liquidation order passes it, listened to or not. */
  readonly forceOrders: ForceOrderThrottle<Readonly<LiquidationEvent>>;
  readonly accounts: AccountKey[];
  private readonly accountByKey = new Map<string, number>();
  /** Secret by accountId (index 0, the house account, has none). */
  private readonly secrets: string[] = [""];
  /** The secrets as HMAC keys, made on first use (signingKeyOf). */
  private readonly signingKeys: SigningKey[] = [];
  private exchangeInfoTail: string | undefined;
  private readonly symbolIndex = new Map<string, number>();
  private readonly random: Random;
  /** One funding clock per symbol, in config order (engine/funding.ts). */
  private readonly funding: FundingClock[];
  /** Wall ms of the next premium sample: execute has no funding work before it. */
  private fundingDueMs: number;
  private readonly impactNotionalCash: number;
  /** The scripted price path (marketEvents.ts); undefined without market events. */
  private readonly marketPath: MarketPath | undefined;
  /** Wall ms of the path's next step: execute has no market work before it. */
  private marketDueMs = Number.POSITIVE_INFINITY;
  /** The last step of the path applied, natural ms since the origin. */
  private marketStepMs = 0;
  /** The mid the house ladder is quoted around, per symbol in config order. */
  private readonly quotedMidTicks: number[];

  /**
   * @param accountKeys the accounts' keys and secrets; the HTTP server provisions them once per
   *   instance, so a reset keeps them. Default: provisionAccountKeys(config).
   */
  constructor(
    readonly config: ExchangeConfig,
    readonly now: () => number,
    accountKeys: AccountKey[] = provisionAccountKeys(config, config.accounts),
  ) {
    this.originMs = now();
    this.random = seededRandom(config.seed);
    config.symbols.forEach((s, i) => {
      this.symbolIndex.set(s.symbol, i);
    });
    // Retention horizons are natural time: compressed like the listenKey validity below.
    const retention = config.orderRetention;
    this.engine = new MatchingEngine({
      symbols: config.symbols,
      now,
      tradeHistoryPerSymbol: config.userTradesPerSymbol,
      orderRetention: {
        unfilledMs: retention.unfilledNaturalMs / config.timeScale,
        filledMs: retention.filledNaturalMs / config.timeScale,
        maxFinalOrders: retention.maxFinalOrders,
      },
    });
    // Funding periods are natural time: compressed by the time scale like the limit windows and
    // aligned to the clock origin, so a re-run meets the same funding times.
    const f = config.funding;
    const rule = { interestE8: f.interestPpm * 100, clampE8: f.clampPpm * 100, capE8: f.capPpm * 100 };
    const samples = f.intervalNaturalMs / f.samplePeriodNaturalMs;
    this.funding = config.symbols.map(
      () => new FundingClock(this.originMs, f.samplePeriodNaturalMs, config.timeScale, samples, rule),
    );
    this.fundingDueMs = this.funding[0]?.nextSampleMs ?? Number.POSITIVE_INFINITY;
    this.impactNotionalCash = usdtToCash(f.impactNotionalUsdt, this.engine.cashDecimals);
    this.limiter = new IpLimiter(config.limits, config.timeScale, this.originMs);
    this.orderLimiter = new OrderCountLimiter(
      config.limits.ordersPer10s,
      config.limits.ordersPerMinute,
      limitWindowCompression(config.limits, config.timeScale),
      this.originMs,
    );
    this.capacity = new CapacityModel(config, this.random, this.originMs);
    this.replica = new ReadReplica({ ...config.replica, symbolCount: config.symbols.length });
    this.timeline = new Timeline(this.originMs);
    // Keys from their own stream (the capacity model's seeded sequence stays what it was), and
    // from the secrets' seed or the CSPRNG, never from `seed`: a listenKey opens an account's
    // private stream.
    this.listenKeys = new ListenKeys(
      config.streams.listenKeyValidityMs / config.timeScale,
      config.secretsSeed !== undefined ? seededRandom(config.secretsSeed ^ 0x115e4) : unpredictableRandom(),
    );
    this.forceOrders = new ForceOrderThrottle(config.streams.forceOrderThrottleMs, this.originMs);
    this.marketData = new MarketData(
      config.symbols.length,
      config.klineMinutesPerSymbol,
      this.originMs,
      config.timeScale,
    );
    // Each trade once, from its taker's side (the maker's update of the same fill is skipped).
    this.engine.onOrderUpdate((type, order, fill) => {
      if (type !== "TRADE" || fill === undefined || fill.maker) return;
      const index = this.symbolIndex.get(order.symbol) as number;
      this.marketData.record(
        index,
        fill.priceTicks,
        fill.lots,
        order.side === "BUY",
        fill.tradeId,
        this.now(),
      );
    });
    // Every liquidation order is counted, and whether the feed will show it (reference.md: "public
    // liquidation counts are undercounts"). ADL events are the counterparties' forced reductions,
    // not liquidation orders: the forceOrder feed does not carry them.
    this.engine.onLiquidation((e) => {
      if (e.kind === "LIQUIDATION") this.timeline.liquidation(this.forceOrders.offer(e.symbol, e, e.time));
    });
    this.accounts = accountKeys;
    for (const a of this.accounts) {
      this.accountByKey.set(a.apiKey, a.accountId);
      this.secrets[a.accountId] = a.apiSecret;
    }
    // Checked (margin-limited, liquidatable) accounts; the house quotes from a deep wallet.
    const cd = this.engine.cashDecimals;
    this.engine.createAccount(HOUSE_ACCOUNT, usdtToCash(config.balances.houseBalanceUsdt, cd));
    for (const a of this.accounts)
      this.engine.createAccount(a.accountId, usdtToCash(config.balances.initialBalanceUsdt, cd));
    this.engine.onPositionChange((accountId, p) => {
      this.replica.record(
        accountId,
        this.symbolIndex.get(p.symbol) as number,
        p.amountLots,
        p.entryPriceTicks,
        p.updateTime,
        this.now(),
      );
    });
    this.quotedMidTicks = config.symbols.map((s) => s.referencePriceTicks);
    if (config.marketEvents.length > 0) {
      this.openLeveragedPositions();
      this.marketPath = new MarketPath(
        config.symbols,
        config.marketEvents,
        this.originMs,
        config.timeScale,
        config.marketEventStepNaturalMs,
      );
      this.marketDueMs = this.marketPath.nextDueMs(this.originMs);
    }
    this.seedHouseLiquidity();
  }

  /**
   * Moves each symbol's price to where the market events put it at `now` (marketEvents.ts): sets
   * the index and re-quotes the house ladder around the new mid, then prints one lot there. The
   * engine marks at the last trade (markMode "last"), so the print is what moves the mark; stops
   * trigger and accounts past maintenance are liquidated by the engine's own rules, their forced
   * orders selling into the new ladder (and the insurance fund / ADL taking what it cannot).
   * Called when a request executes and on the server's shared tick: no timer of its own. Every
   * step since the last call is played in turn, so the path (and who is liquidated where) does
   * not depend on how often requests arrive: a jump over several steps would gap the mark past
   * bankruptcy prices and hand every position to ADL instead of the book.
   */
  advanceMarket(now: number): void {
    const path = this.marketPath;
    if (path === undefined || now < this.marketDueMs) return;
    this.marketDueMs = path.nextDueMs(now);
    const last = path.steppedNaturalMs(now);
    for (let t = this.marketStepMs + path.stepMs; t <= last; t += path.stepMs) this.marketStep(path, t);
    this.marketStepMs = Math.max(this.marketStepMs, last);
  }

  private marketStep(path: MarketPath, stepMs: number): void {
    this.config.symbols.forEach((spec, i) => {
      const mid = path.midTicksAtStep(i, stepMs, this.config.makerLevels + 1);
      const before = this.quotedMidTicks[i] as number;
      if (mid === before) return;
      this.quotedMidTicks[i] = mid;
      this.engine.setIndexPrice(spec.symbol, mid);
      this.engine.cancelAll(HOUSE_ACCOUNT, spec.symbol);
      // The side the price moves towards first: a falling price's new asks may cross stale client
      // bids and set off liquidations, which then find the house bids already there.
      const down = mid < before;
      this.quoteLadder(spec, mid, down ? SIDES : REVERSED_SIDES);
      this.engine.submitOrder({
        accountId: HOUSE_ACCOUNT,
        symbol: spec.symbol,
        side: down ? "SELL" : "BUY",
        type: "LIMIT",
        timeInForce: "IOC",
        lots: 1,
        priceTicks: down ? mid - 1 : mid + 1,
        clientOrderId: "",
      });
    });
  }

  /**
   * config.leveragedAccounts: positions opened against the house at the reference price before
   * the ladder is quoted (so they trade exactly there), numbered after the clients' accounts.
   * Cross margin, one position: a long is liquidated at P where wallet + q(P - E) = m q P, so the
   * wallet q E (1 - (1 - m)(1 - d)) puts it d below the entry; a short's q E ((1 + m)(1 + d) - 1)
   * puts it d above (engine maintenance rate m = 0.4%). The taker fee is added to the deposit.
   */
  private openLeveragedPositions(): void {
    const lev = this.config.leveragedAccounts;
    const random = seededRandom(this.config.seed ^ 0x1e7e4);
    const symbols = this.config.symbols;
    const cd = this.engine.cashDecimals;
    for (let i = 0; i < lev.count; i++) {
      const spec = symbols[i % symbols.length] as SymbolSpec;
      const long = Math.floor(i / symbols.length) % 2 === 0;
      const d =
        (lev.liquidationDistanceMinPct +
          ((lev.liquidationDistanceMaxPct - lev.liquidationDistanceMinPct) * (i + random())) / lev.count) /
        100;
      const priceUsdt = spec.referencePriceTicks * Number(spec.tickSize);
      const lots = Math.max(1, Math.round(lev.notionalUsdt / priceUsdt / Number(spec.stepSize)));
      const notional = lots * Number(spec.stepSize) * priceUsdt;
      const m = MAINTENANCE_RATE;
      const marginUsdt = long ? notional * (1 - (1 - m) * (1 - d)) : notional * ((1 + m) * (1 + d) - 1);
      const accountId = this.config.accounts + 1 + i;
      this.engine.createAccount(accountId, usdtToCash(marginUsdt + notional * TAKER_FEE_RATE, cd));
      this.engine.setLeverage(accountId, spec.symbol, Math.min(125, Math.ceil(notional / marginUsdt)));
      const order = {
        symbol: spec.symbol,
        type: "LIMIT" as const,
        lots,
        priceTicks: spec.referencePriceTicks,
        clientOrderId: "",
      };
      this.engine.submitOrder({
        ...order,
        accountId: HOUSE_ACCOUNT,
        side: long ? "SELL" : "BUY",
        timeInForce: "GTC",
      });
      const taken = this.engine.submitOrder({
        ...order,
        accountId,
        side: long ? "BUY" : "SELL",
        timeInForce: "IOC",
      });
      if ("error" in taken || taken.order.executedLots !== lots)
        throw new Error(`leveraged account ${accountId} could not open its position`);
    }
  }

  accountForKey(apiKey: string | undefined): number | undefined {
    return apiKey === undefined ? undefined : this.accountByKey.get(apiKey);
  }

  /** The HMAC secret of an account returned by accountForKey. */
  secretOf(accountId: number): string {
    return this.secrets[accountId] as string;
  }

  /** secretOf prepared for verifySigned (api/auth.ts signingKey), made on first use. */
  signingKeyOf(accountId: number): SigningKey {
    let key = this.signingKeys[accountId];
    if (key === undefined) {
      key = signingKey(this.secretOf(accountId));
      this.signingKeys[accountId] = key;
    }
    return key;
  }

  spec(symbol: string): SymbolSpec {
    const spec = this.engine.symbolSpec(symbol);
    if (spec === undefined) throw new ApiError(ERR.BAD_SYMBOL);
    return spec;
  }

  /** Validates a request's parameters at the edge; throws ApiError with the catalog entry. */
  parse(route: RouteName, params: Params, accountId: number): ParsedRequest {
    switch (route) {
      case "ping":
      case "time":
      case "exchangeInfo":
      case "balance":
      case "balanceV3":
      case "account":
      case "accountV3":
        return { route };
      case "klines":
        return { route, symbol: this.spec(params.required("symbol")).symbol, query: klineQuery(params) };
      case "depth": {
        const symbol = this.spec(params.required("symbol")).symbol;
        const limit = params.optionalInt("limit", 1, 1000, 500);
        if (!(DEPTH_LIMITS as readonly number[]).includes(limit))
          throw new ApiError(ERR.INVALID_PARAMETER, { name: "limit" });
        return { route, symbol, limit };
      }
      case "tickerPrice":
      case "tickerPriceV2":
      case "ticker24hr":
      case "premiumIndex":
      case "openOrders":
      case "leverageBracket":
      case "positionRisk":
      case "positionRiskV3": {
        const raw = params.get("symbol");
        return { route, symbol: raw === undefined ? undefined : this.spec(raw).symbol };
      }
      case "newOrder":
        return { route, order: this.parseNewOrder(params, accountId) };
      case "batchOrders":
        return { route, orders: this.parseBatch(params, accountId) };
      case "cancelBatch": {
        const symbol = this.spec(params.required("symbol")).symbol;
        return { route, symbol, refs: batchRefs(params) };
      }
      case "userTrades":
        return { route, symbol: this.spec(params.required("symbol")).symbol, query: tradeQuery(params) };
      case "cancelOrder":
      case "getOrder":
      case "openOrder": {
        const symbol = this.spec(params.required("symbol")).symbol;
        return { route, symbol, ...orderRef(params) };
      }
      case "modifyOrder": {
        const spec = this.spec(params.required("symbol"));
        const ref = orderRef(params);
        const side = params.oneOf<Side>("side", SIDES, ERR.INVALID_SIDE);
        const lots = atMost(
          params.units("quantity", spec.stepSize, ERR.QTY_LESS_THAN_ZERO, ERR.QTY_NOT_INCREASED_BY_STEP_SIZE),
          MAX_LOTS,
          ERR.QTY_GREATER_THAN_MAX_QTY,
        );
        const priceTicks = atMost(
          params.units(
            "price",
            spec.tickSize,
            ERR.PRICE_LESS_THAN_ZERO,
            ERR.PRICE_NOT_INCREASED_BY_TICK_SIZE,
          ),
          maxPriceTicks(spec),
          ERR.PRICE_GREATER_THAN_MAX_PRICE,
        );
        return { route, symbol: spec.symbol, side, lots, priceTicks, ...ref };
      }
      case "cancelAll":
        return { route, symbol: this.spec(params.required("symbol")).symbol };
      case "listenKeyStart":
      case "listenKeyKeepalive":
      case "listenKeyClose":
        return { route };
      case "leverage": {
        const symbol = this.spec(params.required("symbol")).symbol;
        const raw = params.required("leverage");
        const leverage = Number(raw);
        if (!/^\d{1,3}$/.test(raw) || leverage < 1 || leverage > 125)
          throw new ApiError(ERR.INVALID_LEVERAGE, { value: raw });
        return { route, symbol, leverage };
      }
    }
  }

  private parseNewOrder(params: Params, accountId: number): PlaceOrderInput {
    const spec = this.spec(params.required("symbol"));
    const side = params.oneOf<Side>("side", SIDES, ERR.INVALID_SIDE);
    const type = params.oneOf<OrderType>("type", TYPES, ERR.INVALID_ORDER_TYPE);
    const conditional = type === "STOP_MARKET" || type === "TAKE_PROFIT_MARKET";
    const closePosition = optionalBool(params, "closePosition");
    const reduceOnly = optionalBool(params, "reduceOnly");
    if (closePosition) {
      // Closes the whole position when triggered: no quantity, and reduce-only is implied.
      if (!conditional) throw new ApiError(ERR.BAD_PARAM_COMBO);
      if (params.get("quantity") !== undefined) throw new ApiError(ERR.UNREAD_PARAM, { name: "quantity" });
      if (params.get("reduceOnly") !== undefined)
        throw new ApiError(ERR.UNREAD_PARAM, { name: "reduceOnly" });
    }
    const lots = closePosition
      ? 0
      : atMost(
          params.units("quantity", spec.stepSize, ERR.QTY_LESS_THAN_ZERO, ERR.QTY_NOT_INCREASED_BY_STEP_SIZE),
          MAX_LOTS,
          ERR.QTY_GREATER_THAN_MAX_QTY,
        );
    let priceTicks = 0;
    let timeInForce: TimeInForce = "GTC";
    if (type === "LIMIT") {
      timeInForce = params.oneOf<TimeInForce>("timeInForce", TIFS, ERR.INVALID_TIF);
      priceTicks = atMost(
        params.units("price", spec.tickSize, ERR.PRICE_LESS_THAN_ZERO, ERR.PRICE_NOT_INCREASED_BY_TICK_SIZE),
        maxPriceTicks(spec),
        ERR.PRICE_GREATER_THAN_MAX_PRICE,
      );
    } else {
      if (params.get("price") !== undefined) throw new ApiError(ERR.UNREAD_PARAM, { name: "price" });
      if (params.get("timeInForce") !== undefined) {
        // Conditional orders take a time in force for after the trigger; MARKET does not.
        if (!conditional) throw new ApiError(ERR.UNREAD_PARAM, { name: "timeInForce" });
        timeInForce = params.oneOf<TimeInForce>("timeInForce", TIFS, ERR.INVALID_TIF);
      }
    }
    let stopPriceTicks = 0;
    if (conditional) {
      stopPriceTicks = atMost(
        params.units(
          "stopPrice",
          spec.tickSize,
          ERR.STOP_PRICE_LESS_THAN_ZERO,
          ERR.PRICE_NOT_INCREASED_BY_TICK_SIZE,
        ),
        maxPriceTicks(spec),
        ERR.STOP_PRICE_GREATER_THAN_MAX_PRICE,
      );
    } else if (params.get("stopPrice") !== undefined) {
      throw new ApiError(ERR.UNREAD_PARAM, { name: "stopPrice" });
    }
    const clientOrderId = params.get("newClientOrderId") ?? "";
    if (clientOrderId !== "" && !/^[.A-Z:/a-z0-9_-]{1,36}$/.test(clientOrderId)) {
      throw new ApiError(ERR.CLIENT_ORDER_ID_INVALID);
    }
    const order: PlaceOrderInput = {
      accountId,
      symbol: spec.symbol,
      side,
      type,
      timeInForce,
      lots,
      priceTicks,
      clientOrderId,
    };
    if (reduceOnly) order.reduceOnly = true;
    if (closePosition) order.closePosition = true;
    if (conditional) order.stopPriceTicks = stopPriceTicks;
    return order;
  }

  /**
   * POST /fapi/v1/batchOrders: `batchOrders` is a JSON array of 1 to 5 objects with New Order's
   * parameters (Binance USDⓈ-M "Place Multiple Orders"). A list that is not one is the whole
   * request's -1130; each order is then validated on its own, and a refused one becomes its
   * element's `{code,msg}` while the others go ahead.
   */
  private parseBatch(params: Params, accountId: number): Array<PlaceOrderInput | string> {
    return jsonList(params, "batchOrders", MAX_BATCH_ORDERS).map((item) => {
      if (item === null || typeof item !== "object" || Array.isArray(item))
        throw new ApiError(ERR.INVALID_PARAMETER, { name: "batchOrders" });
      try {
        return this.parseNewOrder(orderParams(item as Record<string, unknown>), accountId);
      } catch (err) {
        if (err instanceof ApiError) return errorBody(err.spec, err.fields);
        throw err;
      }
    });
  }

  /** Runs an admitted request when its service completes (the capacity model decided when). */
  execute(req: ParsedRequest, accountId: number): Outcome {
    // Premium samples, settlements and market-event steps due before this request see the state before it.
    if (this.now() >= this.marketDueMs) this.advanceMarket(this.now());
    if (this.now() >= this.fundingDueMs) this.advanceFunding(this.now());
    switch (req.route) {
      case "ping":
        return { status: 200, body: "{}" };
      case "time":
        return { status: 200, body: `{"serverTime":${this.now()}}` };
      case "exchangeInfo":
        return this.exchangeInfo();
      case "depth":
        return this.depth(req.symbol, req.limit);
      case "ticker24hr":
        return this.perSymbol(req.symbol, (spec, now) =>
          dayTickerJson(
            spec,
            this.marketData.dayStats(this.symbolIndex.get(spec.symbol) as number, now),
            this.engine.lastPriceTicks(spec.symbol),
            now,
          ),
        );
      case "klines": {
        const spec = this.spec(req.symbol);
        const index = this.symbolIndex.get(spec.symbol) as number;
        const candles = this.marketData.klines(index, req.query, this.now());
        return {
          status: 200,
          body: `[${candles.map((c) => klineJson(spec, c, this.marketData)).join(",")}]`,
        };
      }
      case "tickerPrice":
      case "tickerPriceV2":
        return this.perSymbol(req.symbol, (spec, now) =>
          JSON.stringify({
            symbol: spec.symbol,
            price: formatUnits(this.engine.lastPriceTicks(spec.symbol), spec.tickSize),
            time: now,
          }),
        );
      case "premiumIndex":
        return this.perSymbol(req.symbol, (spec, now) => this.premiumIndexJson(spec, now));
      case "newOrder": {
        const result = this.engine.submitOrder(req.order);
        if ("error" in result) return engineError(result.error);
        return { status: 200, body: this.orderJson(result.order) };
      }
      case "batchOrders": {
        // In list order, each on its own ("Batch orders are processed concurrently, and the
        // order of matching is not guaranteed"; one valid order); the answer keeps list order.
        const rows = req.orders.map((order) => {
          if (typeof order === "string") return order;
          const result = this.engine.submitOrder(order);
          return "error" in result ? engineError(result.error).body : this.orderJson(result.order);
        });
        return { status: 200, body: `[${rows.join(",")}]` };
      }
      case "cancelBatch": {
        const rows = req.refs.map((ref) => {
          const result = this.engine.cancelOrder(accountId, req.symbol, ref);
          return "error" in result ? engineError(result.error).body : this.orderJson(result);
        });
        return { status: 200, body: `[${rows.join(",")}]` };
      }
      case "userTrades": {
        const spec = this.spec(req.symbol);
        const q = req.query;
        // Neither a window nor fromId: the last 7 days (from now, at execution).
        const query =
          q.fromId === undefined && q.startTime === undefined && q.endTime === undefined
            ? { ...q, startTime: this.now() - USER_TRADES_WINDOW_MS }
            : q;
        // An order the venue has forgotten has no trades to show, as an id it never had.
        if (
          q.orderId !== undefined &&
          "error" in this.engine.getOrder(accountId, req.symbol, { orderId: q.orderId })
        )
          return { status: 200, body: "[]" };
        const trades = this.engine.userTrades(accountId, req.symbol, query);
        return { status: 200, body: `[${trades.map((t) => this.tradeJson(spec, t)).join(",")}]` };
      }
      case "cancelOrder": {
        const result = this.engine.cancelOrder(accountId, req.symbol, engineRef(req));
        if ("error" in result) return engineError(result.error);
        return { status: 200, body: this.orderJson(result) };
      }
      case "getOrder": {
        const result = this.engine.getOrder(accountId, req.symbol, engineRef(req));
        if ("error" in result) return engineError(result.error);
        return { status: 200, body: this.orderJson(result, true) };
      }
      case "openOrder": {
        // Only while it rests: a filled, cancelled or expired order "does not exist" here.
        const result = this.engine.getOrder(accountId, req.symbol, engineRef(req));
        if ("error" in result || (result.status !== "NEW" && result.status !== "PARTIALLY_FILLED"))
          return engineError("NO_SUCH_ORDER");
        return { status: 200, body: this.orderJson(result, true) };
      }
      case "modifyOrder": {
        const ref = engineRef(req);
        // Another account's order, a missing or a finished one: "Order does not exist." (-2013).
        const found = this.engine.getOrder(accountId, req.symbol, ref);
        if ("error" in found) return engineError("NO_SUCH_ORDER");
        if (found.side !== req.side) return apiError(ERR.INVALID_PARAMETER, { name: "side" });
        const result = this.engine.modifyOrder(accountId, req.symbol, ref, {
          priceTicks: req.priceTicks,
          lots: req.lots,
        });
        if ("error" in result)
          return engineError(result.error === "UNKNOWN_ORDER" ? "NO_SUCH_ORDER" : result.error);
        return { status: 200, body: this.orderJson(result.order) };
      }
      case "cancelAll":
        this.engine.cancelAll(accountId, req.symbol);
        return { status: 200, body: '{"code":200,"msg":"The operation of cancel all open order is done."}' };
      case "openOrders": {
        const orders = this.engine.openOrders(accountId, req.symbol);
        return { status: 200, body: `[${orders.map((o) => this.orderJson(o, true)).join(",")}]` };
      }
      case "positionRisk":
        return this.positionRisk(accountId, req.symbol, false);
      case "positionRiskV3":
        return this.positionRisk(accountId, req.symbol, true);
      case "balance":
      case "balanceV3":
        return this.balance(accountId);
      case "account":
        return this.accountInfo(accountId, false);
      case "accountV3":
        return this.accountInfo(accountId, true);
      case "leverage":
        this.engine.setLeverage(accountId, req.symbol, req.leverage);
        return {
          status: 200,
          body: JSON.stringify({ leverage: req.leverage, maxNotionalValue: "1000000", symbol: req.symbol }),
        };
      case "leverageBracket":
        return this.perSymbol(req.symbol, (spec) => leverageBracketJson(spec.symbol));
      case "listenKeyStart":
        return {
          status: 200,
          body: JSON.stringify({ listenKey: this.listenKeys.start(accountId, this.now()) }),
        };
      case "listenKeyKeepalive": {
        const listenKey = this.listenKeys.keepalive(accountId, this.now());
        if (listenKey === undefined) return apiError(ERR.LISTEN_KEY_NOT_FOUND);
        return { status: 200, body: JSON.stringify({ listenKey }) };
      }
      case "listenKeyClose":
        // Closing a key that is already gone is not an error: the stream is closed either way.
        this.listenKeys.close(accountId);
        return { status: 200, body: "{}" };
    }
  }

  /** One object for a symbol, or an array over every symbol. */
  private perSymbol(symbol: string | undefined, row: (spec: SymbolSpec, now: number) => string): Outcome {
    const now = this.now();
    if (symbol !== undefined) return { status: 200, body: row(this.spec(symbol), now) };
    return { status: 200, body: `[${this.config.symbols.map((s) => row(s, now)).join(",")}]` };
  }

  /**
   * `lastFundingRate` is the rate the next funding time would settle at from the premium samples
   * taken so far in the interval (what Binance's premiumIndex shows as it moves, engine/funding.ts);
   * `nextFundingTime` is in the venue's clock (wall ms; natural 8 h / time scale apart).
   */
  private premiumIndexJson(spec: SymbolSpec, now: number): string {
    const mark = this.engine.markPriceTicks(spec.symbol);
    const index = this.engine.indexPriceTicks(spec.symbol) ?? mark;
    const tick = Number(spec.tickSize);
    const clock = this.funding[this.symbolIndex.get(spec.symbol) as number] as FundingClock;
    const rate = clock.estimateE8(this.premiumNow(spec.symbol));
    return JSON.stringify({
      symbol: spec.symbol,
      markPrice: (mark * tick).toFixed(8),
      indexPrice: (index * tick).toFixed(8),
      estimatedSettlePrice: (index * tick).toFixed(8),
      lastFundingRate: (rate / RATE_UNITS_PER_ONE).toFixed(8),
      interestRate: (this.config.funding.interestPpm / 1e6).toFixed(8),
      nextFundingTime: clock.nextFundingMs,
      time: now,
    });
  }

  /**
   * Binance's premium index now: impact bid/ask for the Impact Margin Notional against the index.
   * The venue has no spot index unless one is set (engine.setIndexPrice): the index is then the
   * mark, as premiumIndex reports it, and only a book whose impact prices cross it has a premium.
   */
  private premiumNow(symbol: string): number {
    const index = this.engine.indexPriceTicks(symbol) ?? this.engine.markPriceTicks(symbol);
    const bid = this.engine.impactPriceTicks(symbol, "bids", this.impactNotionalCash);
    const ask = this.engine.impactPriceTicks(symbol, "asks", this.impactNotionalCash);
    return premiumIndex(bid, ask, index);
  }

  /** Takes the premium samples due and settles every funding time passed, each symbol in turn. */
  private advanceFunding(now: number): void {
    this.config.symbols.forEach((spec, i) => {
      (this.funding[i] as FundingClock).advance(
        now,
        () => this.premiumNow(spec.symbol),
        (rateE8) => {
          this.engine.settleFunding(spec.symbol, rateE8);
        },
      );
    });
    this.fundingDueMs = (this.funding[0] as FundingClock).nextSampleMs;
  }

  /** Symbols with their filters and the limits in force; built once, serverTime added per request. */
  private exchangeInfo(): Outcome {
    if (this.exchangeInfoTail === undefined) {
      const symbols = this.config.symbols.map((spec) => {
        const base = spec.symbol.endsWith("USDT") ? spec.symbol.slice(0, -4) : spec.symbol;
        const tickDecimals = (spec.tickSize.split(".")[1] ?? "").length;
        const stepDecimals = (spec.stepSize.split(".")[1] ?? "").length;
        return {
          symbol: spec.symbol,
          pair: spec.symbol,
          contractType: "PERPETUAL",
          deliveryDate: 4133404800000,
          onboardDate: 1569398400000,
          status: "TRADING",
          maintMarginPercent: "2.5000",
          requiredMarginPercent: "5.0000",
          baseAsset: base,
          quoteAsset: "USDT",
          marginAsset: "USDT",
          pricePrecision: tickDecimals,
          quantityPrecision: stepDecimals,
          baseAssetPrecision: 8,
          quotePrecision: 8,
          underlyingType: "COIN",
          underlyingSubType: [],
          settlePlan: 0,
          triggerProtect: "0.0500",
          liquidationFee: "0.012500",
          marketTakeBound: "0.05",
          filters: [
            {
              filterType: "PRICE_FILTER",
              minPrice: spec.tickSize,
              maxPrice: formatUnits(maxPriceTicks(spec), spec.tickSize),
              tickSize: spec.tickSize,
            },
            {
              filterType: "LOT_SIZE",
              minQty: spec.stepSize,
              maxQty: formatUnits(MAX_LOTS, spec.stepSize),
              stepSize: spec.stepSize,
            },
            {
              filterType: "MARKET_LOT_SIZE",
              minQty: spec.stepSize,
              maxQty: formatUnits(MAX_LOTS, spec.stepSize),
              stepSize: spec.stepSize,
            },
            { filterType: "MAX_NUM_ORDERS", limit: 200 },
            { filterType: "MIN_NOTIONAL", notional: spec.minNotional ?? "0" },
          ],
          orderTypes: TYPES,
          timeInForce: TIFS,
        };
      });
      const rateLimits = [
        {
          rateLimitType: "REQUEST_WEIGHT",
          interval: "MINUTE",
          intervalNum: 1,
          limit: this.config.limits.weightPerMinute,
        },
        // Per account (limits/orderCountLimiter.ts), as Binance lists them.
        {
          rateLimitType: "ORDERS",
          interval: "SECOND",
          intervalNum: 10,
          limit: this.config.limits.ordersPer10s,
        },
        {
          rateLimitType: "ORDERS",
          interval: "MINUTE",
          intervalNum: 1,
          limit: this.config.limits.ordersPerMinute,
        },
      ];
      this.exchangeInfoTail = JSON.stringify({
        futuresType: "U_MARGINED",
        rateLimits,
        exchangeFilters: [],
        assets: [{ asset: "USDT", marginAvailable: true, autoAssetExchange: "0" }],
        symbols,
      }).slice(1);
    }
    return { status: 200, body: `{"timezone":"UTC","serverTime":${this.now()},${this.exchangeInfoTail}` };
  }

  private cash(units: number): string {
    return (units / 10 ** this.engine.cashDecimals).toFixed(8);
  }

  private balance(accountId: number): Outcome {
    const a = this.engine.account(accountId);
    const available = Math.max(0, a.available);
    return {
      status: 200,
      body: JSON.stringify([
        {
          accountAlias: `stp${accountId}`,
          asset: "USDT",
          balance: this.cash(a.wallet),
          crossWalletBalance: this.cash(a.wallet),
          crossUnPnl: this.cash(a.unrealized),
          availableBalance: this.cash(available),
          maxWithdrawAmount: this.cash(Math.min(available, a.wallet)),
          marginAvailable: true,
          updateTime: this.now(),
        },
      ]),
    };
  }

  /** GET /fapi/v2/account and /fapi/v3/account (v3: no per-symbol leverage or entry price). */
  private accountInfo(accountId: number, v3: boolean): Outcome {
    const a = this.engine.account(accountId);
    const now = this.now();
    const available = Math.max(0, a.available);
    const positions: Record<string, unknown>[] = [];
    for (const p of this.engine.positions(accountId)) {
      if (v3 && p.amountLots === 0) continue;
      const spec = this.spec(p.symbol);
      const tick = Number(spec.tickSize);
      const step = Number(spec.stepSize);
      const mark = this.engine.markPriceTicks(p.symbol);
      const leverage = this.engine.leverage(accountId, p.symbol);
      const notional = p.amountLots * step * mark * tick;
      const unrealized = p.amountLots === 0 ? 0 : p.amountLots * step * (mark - p.entryPriceTicks) * tick;
      const row: Record<string, unknown> = {
        symbol: p.symbol,
        positionSide: "BOTH",
        positionAmt: formatUnits(p.amountLots, spec.stepSize),
        unrealizedProfit: unrealized.toFixed(8),
        isolatedMargin: "0",
        notional: notional.toFixed(8),
        isolatedWallet: "0",
        initialMargin: (Math.abs(notional) / leverage).toFixed(8),
        maintMargin: (Math.abs(notional) * 0.004).toFixed(8),
        updateTime: p.updateTime,
      };
      if (!v3) {
        row.leverage = String(leverage);
        row.entryPrice = (p.entryPriceTicks * tick).toFixed(8);
        row.isolated = false;
      }
      positions.push(row);
    }
    const totals = {
      totalInitialMargin: this.cash(a.initialMargin),
      totalMaintMargin: this.cash(a.maintenanceMargin),
      totalWalletBalance: this.cash(a.wallet),
      totalUnrealizedProfit: this.cash(a.unrealized),
      totalMarginBalance: this.cash(a.marginBalance),
      totalCrossWalletBalance: this.cash(a.wallet),
      totalCrossUnPnl: this.cash(a.unrealized),
      availableBalance: this.cash(available),
      maxWithdrawAmount: this.cash(Math.min(available, a.wallet)),
    };
    const asset = {
      asset: "USDT",
      walletBalance: totals.totalWalletBalance,
      unrealizedProfit: totals.totalUnrealizedProfit,
      marginBalance: totals.totalMarginBalance,
      maintMargin: totals.totalMaintMargin,
      initialMargin: totals.totalInitialMargin,
      crossWalletBalance: totals.totalWalletBalance,
      crossUnPnl: totals.totalUnrealizedProfit,
      availableBalance: totals.availableBalance,
      maxWithdrawAmount: totals.maxWithdrawAmount,
      updateTime: now,
    };
    const flags = v3
      ? {}
      : {
          feeTier: 0,
          canTrade: true,
          canDeposit: true,
          canWithdraw: true,
          multiAssetsMargin: false,
          updateTime: 0,
        };
    return { status: 200, body: JSON.stringify({ ...flags, ...totals, assets: [asset], positions }) };
  }

  private depth(symbol: string, limit: number): Outcome {
    const spec = this.spec(symbol);
    const book = this.engine.depth(symbol, limit);
    const level = ([p, q]: [number, number]) =>
      `["${formatUnits(p, spec.tickSize)}","${formatUnits(q, spec.stepSize)}"]`;
    const now = this.now();
    return {
      status: 200,
      body: `{"lastUpdateId":${book.lastUpdateId},"E":${now},"T":${now},"bids":[${book.bids.map(level).join(",")}],"asks":[${book.asks.map(level).join(",")}]}`,
    };
  }

  /**
   * Served from the read replica: the state as of its replication lag, like a real read path.
   * v3 lists only symbols with a position or open orders and has no leverage / marginType fields.
   */
  private positionRisk(accountId: number, symbol: string | undefined, v3: boolean): Outcome {
    const now = this.now();
    this.replica.advance(now);
    if (this.replica.isBehind(accountId)) this.timeline.staleRead();
    const rows: string[] = [];
    for (const spec of this.config.symbols) {
      if (symbol !== undefined && spec.symbol !== symbol) continue;
      const view = this.replica.read(accountId, this.symbolIndex.get(spec.symbol) as number);
      const amountLots = view?.amountLots ?? 0;
      if (v3 && amountLots === 0 && this.engine.openOrders(accountId, spec.symbol).length === 0) continue;
      const entryTicks = view?.entryPriceTicks ?? 0;
      const markTicks = this.engine.markPriceTicks(spec.symbol);
      const tick = Number(spec.tickSize);
      const step = Number(spec.stepSize);
      const amount = amountLots * step;
      const unrealized = amount * (markTicks - entryTicks) * tick;
      const leverage = this.engine.leverage(accountId, spec.symbol);
      const notional = amount * markTicks * tick;
      const common = {
        symbol: spec.symbol,
        positionSide: "BOTH",
        positionAmt: formatUnits(amountLots, spec.stepSize),
        entryPrice: (entryTicks * tick).toFixed(8),
        breakEvenPrice: (entryTicks * tick).toFixed(8),
        markPrice: (markTicks * tick).toFixed(8),
        unRealizedProfit: (amountLots === 0 ? 0 : unrealized).toFixed(8),
        // From the margin engine's current state (the replica keeps positions, not wallets):
        // engine.liquidationPriceTicks states the cross-margin formula; "0" when flat.
        liquidationPrice:
          amountLots === 0
            ? "0"
            : (this.engine.liquidationPriceTicks(accountId, spec.symbol) * tick).toFixed(8),
        isolatedMargin: "0.00000000",
        notional: notional.toFixed(8),
        isolatedWallet: "0",
      };
      rows.push(
        JSON.stringify(
          v3
            ? {
                ...common,
                marginAsset: "USDT",
                initialMargin: (Math.abs(notional) / leverage).toFixed(8),
                maintMargin: (Math.abs(notional) * 0.004).toFixed(8),
                positionInitialMargin: (Math.abs(notional) / leverage).toFixed(8),
                openOrderInitialMargin: "0",
                adl: 0,
                bidNotional: "0",
                askNotional: "0",
                updateTime: view?.updateTime ?? 0,
              }
            : {
                ...common,
                leverage: String(leverage),
                maxNotionalValue: "1000000",
                marginType: "cross",
                isAutoAddMargin: "false",
                updateTime: view?.updateTime ?? 0,
              },
        ),
      );
    }
    return { status: 200, body: `[${rows.join(",")}]` };
  }

  /** An order in the dialect; `withTime` adds the creation time (GET order / openOrders). */
  private orderJson(o: Readonly<Order>, withTime = false): string {
    const spec = this.spec(o.symbol);
    const tick = Number(spec.tickSize);
    const step = Number(spec.stepSize);
    const avgTicks = o.executedLots > 0 ? o.cumQuoteTicksLots / o.executedLots : 0;
    const executedQty = formatUnits(o.executedLots, spec.stepSize);
    // Written out rather than JSON.stringify of an object (once per order response, the hot
    // path of http_order_rps): the same text, key order and escaping. Strings that are not one
    // of the engine's fixed words go through JSON.stringify; numbers are the engine's integers.
    return (
      `{"orderId":${o.orderId},"symbol":${JSON.stringify(o.symbol)},"status":"${o.status}"` +
      `,"clientOrderId":${JSON.stringify(o.clientOrderId)},"price":"${formatUnits(o.priceTicks, spec.tickSize)}"` +
      `,"avgPrice":"${(avgTicks * tick).toFixed(8)}","origQty":"${formatUnits(o.origLots, spec.stepSize)}"` +
      `,"executedQty":"${executedQty}","cumQty":"${executedQty}"` +
      `,"cumQuote":"${(o.cumQuoteTicksLots * tick * step).toFixed(8)}","timeInForce":"${o.timeInForce}"` +
      `,"type":"${o.type}","reduceOnly":${o.reduceOnly === true},"closePosition":${o.closePosition === true}` +
      `,"side":"${o.side}","positionSide":"BOTH","stopPrice":"${formatUnits(o.stopPriceTicks ?? 0, spec.tickSize)}"` +
      `,"workingType":"MARK_PRICE","priceProtect":false,"origType":"${o.type}","priceMatch":"NONE"` +
      `,"selfTradePreventionMode":"NONE","goodTillDate":0${withTime ? `,"time":${o.time}` : ""}` +
      `,"updateTime":${o.updateTime}}`
    );
  }

  /** One own fill as GET /fapi/v1/userTrades has it (one-way mode: positionSide BOTH). */
  private tradeJson(spec: SymbolSpec, t: Readonly<TradeRecord>): string {
    return JSON.stringify({
      symbol: spec.symbol,
      id: t.id,
      orderId: t.orderId,
      side: t.buyer ? "BUY" : "SELL",
      price: formatUnits(t.priceTicks, spec.tickSize),
      qty: formatUnits(t.lots, spec.stepSize),
      realizedPnl: this.cash(t.realizedCash),
      quoteQty: this.cash(t.quoteCash),
      commission: this.cash(t.commissionCash),
      commissionAsset: "USDT",
      time: t.time,
      positionSide: "BOTH",
      buyer: t.buyer,
      maker: t.maker,
    });
  }

  /** The house market maker quotes a ladder around each symbol's reference price. */
  private seedHouseLiquidity(): void {
    for (const spec of this.config.symbols) {
      for (let level = 1; level <= this.config.makerLevels; level++) {
        for (const side of SIDES) this.quoteLevel(spec, spec.referencePriceTicks, side, level);
      }
    }
  }

  /** The whole ladder around `midTicks`, one side after the other in the order given. */
  private quoteLadder(spec: SymbolSpec, midTicks: number, sides: readonly Side[]): void {
    for (const side of sides)
      for (let level = 1; level <= this.config.makerLevels; level++)
        this.quoteLevel(spec, midTicks, side, level);
  }

  private quoteLevel(spec: SymbolSpec, midTicks: number, side: Side, level: number): void {
    // submitOrder: a re-quoted level may trade with client orders left behind by the move.
    this.engine.submitOrder({
      accountId: HOUSE_ACCOUNT,
      symbol: spec.symbol,
      side,
      type: "LIMIT",
      timeInForce: "GTC",
      lots: this.config.makerLotsPerLevel,
      priceTicks: midTicks + (side === "SELL" ? level : -level),
      clientOrderId: "",
    });
  }
}

/**
 * GET /fapi/v1/leverageBracket (Binance USDⓈ-M "Notional and Leverage Brackets"; numbers, not
 * strings, as Binance sends them). The engine has one maintenance rate (engine/accounts.ts
 * maintenancePpm, 0.4%) and leverage 1..125 at any size, so one bracket from 0 whose cap no
 * account reaches; `cum` (the bracket's maintenance offset) is 0 for a first bracket.
 */
function leverageBracketJson(symbol: string): string {
  return JSON.stringify({
    symbol,
    brackets: [
      {
        bracket: 1,
        initialLeverage: 125,
        notionalCap: 1_000_000_000_000,
        notionalFloor: 0,
        maintMarginRatio: 0.004,
        cum: 0,
      },
    ],
  });
}

function engineError(code: OrderErrorCode): Outcome {
  const spec = ENGINE_ERRORS[code];
  return { status: spec.status, body: JSON.stringify({ code: spec.code, msg: spec.msg }) };
}

function apiError(spec: ExchangeErrorSpec, fields?: Record<string, string | number>): Outcome {
  return { status: spec.status, body: errorBody(spec, fields) };
}

/** orderId or origClientOrderId; at least one is mandatory (-1102). */
function orderRef(params: Params): OrderRef {
  const orderId = params.optionalId("orderId");
  const clientOrderId = params.get("origClientOrderId");
  if (orderId === undefined && clientOrderId === undefined)
    throw new ApiError(ERR.MANDATORY_PARAM, { name: "orderId" });
  return { orderId, clientOrderId };
}

/** The engine's reference: orderId wins when both are given (as on Binance). */
function engineRef(ref: OrderRef): { orderId: number } | { clientOrderId: string } {
  return ref.orderId !== undefined
    ? { orderId: ref.orderId }
    : { clientOrderId: ref.clientOrderId as string };
}

/** Orders in one POST batchOrders, ids in one DELETE batchOrders (Binance USDⓈ-M). */
const MAX_BATCH_ORDERS = 5;
const MAX_BATCH_CANCELS = 10;
/** userTrades' default and longest window ("Account Trade List": 7 days). */
const USER_TRADES_WINDOW_MS = 7 * 24 * 3_600_000;

/** A parameter holding a JSON array of 1..max items; anything else is -1130 for that parameter. */
function jsonList(params: Params, name: string, max: number): unknown[] {
  const raw = params.required(name);
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    throw new ApiError(ERR.INVALID_PARAMETER, { name });
  }
  if (!Array.isArray(list) || list.length === 0 || list.length > max)
    throw new ApiError(ERR.INVALID_PARAMETER, { name });
  return list;
}

/**
 * One batch order's JSON object as parameters. Binance sends and documents strings; numbers and
 * booleans are taken as their JSON text (clients such as ccxt send numbers); anything else is
 * -1130 for that parameter.
 */
function orderParams(item: Record<string, unknown>): Params {
  const pairs: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(item)) {
    if (typeof value === "string") pairs.push([name, value]);
    else if ((typeof value === "number" && Number.isFinite(value)) || typeof value === "boolean")
      pairs.push([name, String(value)]);
    else throw new ApiError(ERR.INVALID_PARAMETER, { name });
  }
  return new Params(new URLSearchParams(pairs).toString());
}

/**
 * DELETE /fapi/v1/batchOrders' references: `orderIdList` (JSON array of ids) or
 * `origClientOrderIdList` (JSON array of strings), at most 10, exactly one of the two
 * (Binance USDⓈ-M "Cancel Multiple Orders").
 */
function batchRefs(params: Params): Array<{ orderId: number } | { clientOrderId: string }> {
  const hasIds = params.get("orderIdList") !== undefined;
  const hasClientIds = params.get("origClientOrderIdList") !== undefined;
  if (hasIds && hasClientIds) throw new ApiError(ERR.BAD_PARAM_COMBO);
  if (hasIds)
    return jsonList(params, "orderIdList", MAX_BATCH_CANCELS).map((id) => {
      if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 1)
        throw new ApiError(ERR.INVALID_PARAMETER, { name: "orderIdList" });
      return { orderId: id };
    });
  if (!hasClientIds) throw new ApiError(ERR.MANDATORY_PARAM, { name: "orderIdList" });
  return jsonList(params, "origClientOrderIdList", MAX_BATCH_CANCELS).map((id) => {
    if (typeof id !== "string" || id === "")
      throw new ApiError(ERR.INVALID_PARAMETER, { name: "origClientOrderIdList" });
    return { clientOrderId: id };
  });
}

/**
 * GET /fapi/v1/userTrades' filters (Binance USDⓈ-M "Account Trade List"): limit 500 by default,
 * at most 1000; startTime..endTime at most 7 days (-1127), one of them alone opens a 7-day
 * window on its side; fromId (trades from that id on) not with a window (-1128); orderId
 * narrows to one order. Neither a window nor fromId: the last 7 days, decided at execution.
 */
function tradeQuery(params: Params): TradeQuery {
  const limit = params.optionalInt("limit", 1, 1000, 500);
  const orderId = params.optionalId("orderId");
  const fromId = params.optionalId("fromId");
  let startTime = params.optionalId("startTime");
  let endTime = params.optionalId("endTime");
  const oldestFirst = startTime !== undefined;
  if (fromId !== undefined && (startTime !== undefined || endTime !== undefined))
    throw new ApiError(ERR.BAD_PARAM_COMBO);
  if (startTime !== undefined && endTime !== undefined) {
    if (endTime < startTime) throw new ApiError(ERR.INVALID_PARAMETER, { name: "startTime" });
    if (endTime - startTime > USER_TRADES_WINDOW_MS)
      throw new ApiError(ERR.INTERVAL_TOO_BIG, { hours: USER_TRADES_WINDOW_MS / 3_600_000 });
  } else if (startTime !== undefined) endTime = startTime + USER_TRADES_WINDOW_MS;
  else if (endTime !== undefined) startTime = endTime - USER_TRADES_WINDOW_MS;
  const q: TradeQuery = { limit, oldestFirst };
  if (orderId !== undefined) q.orderId = orderId;
  if (fromId !== undefined) q.fromId = fromId;
  if (startTime !== undefined) q.startTime = startTime;
  if (endTime !== undefined) q.endTime = endTime;
  return q;
}

/**
 * GET /fapi/v1/klines' parameters (Binance USDⓈ-M "Kline/Candlestick Data"): an interval of
 * the list (-1120), limit 1..1500 (default 500), startTime not after endTime.
 */
function klineQuery(params: Params): KlineQuery {
  const interval = params.required("interval");
  if (!(KLINE_INTERVALS as readonly string[]).includes(interval)) throw new ApiError(ERR.BAD_INTERVAL);
  const limit = params.optionalInt("limit", 1, KLINE_MAX_LIMIT, KLINE_DEFAULT_LIMIT);
  const startTime = params.optionalId("startTime");
  const endTime = params.optionalId("endTime");
  if (startTime !== undefined && endTime !== undefined && endTime < startTime)
    throw new ApiError(ERR.INVALID_PARAMETER, { name: "startTime" });
  const q: KlineQuery = { interval: interval as KlineQuery["interval"], limit };
  if (startTime !== undefined) q.startTime = startTime;
  if (endTime !== undefined) q.endTime = endTime;
  return q;
}

/** "true" / "false" (absent = false); anything else is -1130. */
function optionalBool(params: Params, name: string): boolean {
  const v = params.get(name);
  if (v === undefined) return false;
  if (!(BOOLS as readonly string[]).includes(v)) throw new ApiError(ERR.INVALID_PARAMETER, { name });
  return v === "true";
}
