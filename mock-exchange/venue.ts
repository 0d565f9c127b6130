import { ApiError, ERR, type ExchangeErrorSpec, errorBody } from "./api/errors.ts";
import { formatUnits, type Params } from "./api/params.ts";
import { DEPTH_LIMITS, type RouteName } from "./api/routes.ts";
import { CapacityModel } from "./capacity/model.ts";
import { ReadReplica } from "./capacity/readReplica.ts";
import type { ExchangeConfig } from "./defaults.ts";
import { Exchange } from "./engine/exchange.ts";
import type {
  Order,
  OrderErrorCode,
  OrderType,
  PlaceOrderInput,
  Side,
  SymbolSpec,
  TimeInForce,
} from "./engine/types.ts";
import { WeightLimiter } from "./limits/weightLimiter.ts";
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
  | { route: "ping" | "time" | "exchangeInfo" | "balance" | "account" | "accountV3" }
  | { route: "depth"; symbol: string; limit: number }
  | { route: "tickerPrice" | "premiumIndex" | "openOrders"; symbol: string | undefined }
  | { route: "newOrder"; order: PlaceOrderInput }
  | ({ route: "cancelOrder" | "getOrder"; symbol: string } & OrderRef)
  | ({ route: "modifyOrder"; symbol: string; side: Side; lots: number; priceTicks: number } & OrderRef)
  | { route: "cancelAll"; symbol: string }
  | { route: "positionRisk" | "positionRiskV3"; symbol: string | undefined }
  | { route: "leverage"; symbol: string; leverage: number };

const SIDES = ["BUY", "SELL"] as const;
const TYPES = ["LIMIT", "MARKET", "STOP_MARKET", "TAKE_PROFIT_MARKET"] as const;
const TIFS = ["GTC", "IOC", "FOK", "GTX"] as const;
const BOOLS = ["true", "false"] as const;
const HOUSE_ACCOUNT = 0;

/** The engine's rejections in the dialect (reference.md "Codes worth having"). */
const ENGINE_ERRORS: Record<OrderErrorCode, ExchangeErrorSpec> = {
  UNKNOWN_ORDER: ERR.UNKNOWN_ORDER,
  NO_SUCH_ORDER: ERR.NO_SUCH_ORDER,
  DUPLICATE_CLIENT_ORDER_ID: ERR.CLIENT_ORDER_ID_INVALID,
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
      return true;
    case "newOrder":
      return req.order.reduceOnly === true || req.order.closePosition === true;
    default:
      return false;
  }
}

/**
 * Deterministic API keys and secrets from the seed, so a drill's clients can be re-derived
 * (run.json has the seed). Secrets come from their own stream: the keys stay what they were.
 */
export function deriveAccountKeys(seed: number, count: number): AccountKey[] {
  const hexOf = (random: Random) => () =>
    Math.floor(random() * 0x100000000)
      .toString(16)
      .padStart(8, "0");
  const hex = hexOf(seededRandom(seed ^ 0x5eed));
  const secretHex = hexOf(seededRandom(seed ^ 0x5ec7e7));
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
  readonly engine: Exchange;
  readonly limiter: WeightLimiter;
  readonly capacity: CapacityModel;
  readonly replica: ReadReplica;
  readonly timeline: Timeline;
  readonly accounts: AccountKey[];
  private readonly accountByKey = new Map<string, number>();
  /** Secret by accountId (index 0, the house account, has none). */
  private readonly secrets: string[] = [""];
  private exchangeInfoTail: string | undefined;
  private readonly symbolIndex = new Map<string, number>();
  private readonly random: Random;

  constructor(
    readonly config: ExchangeConfig,
    readonly now: () => number,
  ) {
    this.originMs = now();
    this.random = seededRandom(config.seed);
    config.symbols.forEach((s, i) => {
      this.symbolIndex.set(s.symbol, i);
    });
    this.engine = new Exchange({ symbols: config.symbols, now });
    this.limiter = new WeightLimiter(config.limits.weightPerMinute, config.timeScale, this.originMs);
    this.capacity = new CapacityModel(config, this.random, this.originMs);
    this.replica = new ReadReplica({ ...config.replica, symbolCount: config.symbols.length });
    this.timeline = new Timeline(this.originMs);
    this.accounts = deriveAccountKeys(config.seed, config.accounts);
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
    this.seedHouseLiquidity();
  }

  accountForKey(apiKey: string | undefined): number | undefined {
    return apiKey === undefined ? undefined : this.accountByKey.get(apiKey);
  }

  /** The HMAC secret of an account returned by accountForKey. */
  secretOf(accountId: number): string {
    return this.secrets[accountId] as string;
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
      case "account":
      case "accountV3":
        return { route };
      case "depth": {
        const symbol = this.spec(params.required("symbol")).symbol;
        const limit = params.optionalInt("limit", 1, 1000, 500);
        if (!(DEPTH_LIMITS as readonly number[]).includes(limit))
          throw new ApiError(ERR.INVALID_PARAMETER, { name: "limit" });
        return { route, symbol, limit };
      }
      case "tickerPrice":
      case "premiumIndex":
      case "openOrders":
      case "positionRisk":
      case "positionRiskV3": {
        const raw = params.get("symbol");
        return { route, symbol: raw === undefined ? undefined : this.spec(raw).symbol };
      }
      case "newOrder":
        return { route, order: this.parseNewOrder(params, accountId) };
      case "cancelOrder":
      case "getOrder": {
        const symbol = this.spec(params.required("symbol")).symbol;
        return { route, symbol, ...orderRef(params) };
      }
      case "modifyOrder": {
        const spec = this.spec(params.required("symbol"));
        const ref = orderRef(params);
        const side = params.oneOf<Side>("side", SIDES, ERR.INVALID_SIDE);
        const lots = params.units(
          "quantity",
          spec.stepSize,
          ERR.QTY_LESS_THAN_ZERO,
          ERR.QTY_NOT_INCREASED_BY_STEP_SIZE,
        );
        const priceTicks = params.units(
          "price",
          spec.tickSize,
          ERR.PRICE_LESS_THAN_ZERO,
          ERR.PRICE_NOT_INCREASED_BY_TICK_SIZE,
        );
        return { route, symbol: spec.symbol, side, lots, priceTicks, ...ref };
      }
      case "cancelAll":
        return { route, symbol: this.spec(params.required("symbol")).symbol };
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
      : params.units("quantity", spec.stepSize, ERR.QTY_LESS_THAN_ZERO, ERR.QTY_NOT_INCREASED_BY_STEP_SIZE);
    let priceTicks = 0;
    let timeInForce: TimeInForce = "GTC";
    if (type === "LIMIT") {
      timeInForce = params.oneOf<TimeInForce>("timeInForce", TIFS, ERR.INVALID_TIF);
      priceTicks = params.units(
        "price",
        spec.tickSize,
        ERR.PRICE_LESS_THAN_ZERO,
        ERR.PRICE_NOT_INCREASED_BY_TICK_SIZE,
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
      stopPriceTicks = params.units(
        "stopPrice",
        spec.tickSize,
        ERR.PRICE_LESS_THAN_ZERO,
        ERR.PRICE_NOT_INCREASED_BY_TICK_SIZE,
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

  /** Runs an admitted request when its service completes (the capacity model decided when). */
  execute(req: ParsedRequest, accountId: number): Outcome {
    switch (req.route) {
      case "ping":
        return { status: 200, body: "{}" };
      case "time":
        return { status: 200, body: `{"serverTime":${this.now()}}` };
      case "exchangeInfo":
        return this.exchangeInfo();
      case "depth":
        return this.depth(req.symbol, req.limit);
      case "tickerPrice":
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
    }
  }

  /** One object for a symbol, or an array over every symbol. */
  private perSymbol(symbol: string | undefined, row: (spec: SymbolSpec, now: number) => string): Outcome {
    const now = this.now();
    if (symbol !== undefined) return { status: 200, body: row(this.spec(symbol), now) };
    return { status: 200, body: `[${this.config.symbols.map((s) => row(s, now)).join(",")}]` };
  }

  private premiumIndexJson(spec: SymbolSpec, now: number): string {
    const mark = this.engine.markPriceTicks(spec.symbol);
    const index = this.engine.indexPriceTicks(spec.symbol) ?? mark;
    const tick = Number(spec.tickSize);
    // Funding settles every 8 h at 00:00, 08:00, 16:00 UTC; no funding model yet: rate 0.
    const period = 8 * 3_600_000;
    return JSON.stringify({
      symbol: spec.symbol,
      markPrice: (mark * tick).toFixed(8),
      indexPrice: (index * tick).toFixed(8),
      estimatedSettlePrice: (index * tick).toFixed(8),
      lastFundingRate: "0.00000000",
      interestRate: "0.00010000",
      nextFundingTime: (Math.floor(now / period) + 1) * period,
      time: now,
    });
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
              maxPrice: formatUnits(spec.referencePriceTicks * 100, spec.tickSize),
              tickSize: spec.tickSize,
            },
            {
              filterType: "LOT_SIZE",
              minQty: spec.stepSize,
              maxQty: formatUnits(1_000_000_000, spec.stepSize),
              stepSize: spec.stepSize,
            },
            {
              filterType: "MARKET_LOT_SIZE",
              minQty: spec.stepSize,
              maxQty: formatUnits(1_000_000_000, spec.stepSize),
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
        // Cross margin over the whole account: not computed per symbol yet.
        liquidationPrice: "0",
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
    const row: Record<string, unknown> = {
      orderId: o.orderId,
      symbol: o.symbol,
      status: o.status,
      clientOrderId: o.clientOrderId,
      price: formatUnits(o.priceTicks, spec.tickSize),
      avgPrice: (avgTicks * tick).toFixed(8),
      origQty: formatUnits(o.origLots, spec.stepSize),
      executedQty: formatUnits(o.executedLots, spec.stepSize),
      cumQty: formatUnits(o.executedLots, spec.stepSize),
      cumQuote: (o.cumQuoteTicksLots * tick * step).toFixed(8),
      timeInForce: o.timeInForce,
      type: o.type,
      reduceOnly: o.reduceOnly === true,
      closePosition: o.closePosition === true,
      side: o.side,
      positionSide: "BOTH",
      stopPrice: formatUnits(o.stopPriceTicks ?? 0, spec.tickSize),
      workingType: "MARK_PRICE",
      priceProtect: false,
      origType: o.type,
      priceMatch: "NONE",
      selfTradePreventionMode: "NONE",
      goodTillDate: 0,
    };
    if (withTime) row.time = o.time;
    row.updateTime = o.updateTime;
    return JSON.stringify(row);
  }

  /** The house market maker quotes a ladder around each symbol's reference price. */
  private seedHouseLiquidity(): void {
    for (const spec of this.config.symbols) {
      for (let level = 1; level <= this.config.makerLevels; level++) {
        for (const side of SIDES) {
          const priceTicks = spec.referencePriceTicks + (side === "SELL" ? level : -level);
          this.engine.placeOrder({
            accountId: HOUSE_ACCOUNT,
            symbol: spec.symbol,
            side,
            type: "LIMIT",
            timeInForce: "GTC",
            lots: this.config.makerLotsPerLevel,
            priceTicks,
            clientOrderId: "",
          });
        }
      }
    }
  }
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

/** "true" / "false" (absent = false); anything else is -1130. */
function optionalBool(params: Params, name: string): boolean {
  const v = params.get(name);
  if (v === undefined) return false;
  if (!(BOOLS as readonly string[]).includes(v)) throw new ApiError(ERR.INVALID_PARAMETER, { name });
  return v === "true";
}
