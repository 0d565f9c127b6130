import { ApiError, ERR, type ExchangeErrorSpec } from "./api/errors.ts";
import { formatUnits, type Params } from "./api/params.ts";
import { DEPTH_LIMITS, type RouteName } from "./api/routes.ts";
import { CapacityModel } from "./capacity/model.ts";
import { ReadReplica } from "./capacity/readReplica.ts";
import type { ExchangeConfig } from "./defaults.ts";
import { Exchange } from "./engine/exchange.ts";
import type {
  EngineErrorCode,
  Order,
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
}

/** What a handler produced, ready to send. */
export interface Outcome {
  status: number;
  body: string;
}

export type ParsedRequest =
  | { route: "ping" | "time" }
  | { route: "depth"; symbol: string; limit: number }
  | { route: "newOrder"; order: PlaceOrderInput }
  | { route: "cancelOrder"; symbol: string; orderId: number | undefined; clientOrderId: string | undefined }
  | { route: "positionRisk"; symbol: string | undefined };

const SIDES = ["BUY", "SELL"] as const;
const TYPES = ["LIMIT", "MARKET"] as const;
const TIFS = ["GTC", "IOC", "FOK", "GTX"] as const;
const HOUSE_ACCOUNT = 0;

const ENGINE_ERRORS: Record<EngineErrorCode, ExchangeErrorSpec> = {
  UNKNOWN_ORDER: ERR.UNKNOWN_ORDER,
  NO_SUCH_ORDER: ERR.NO_SUCH_ORDER,
  DUPLICATE_CLIENT_ORDER_ID: ERR.CLIENT_ORDER_ID_INVALID,
  POST_ONLY_WOULD_TAKE: ERR.POST_ONLY_WOULD_TAKE,
  FOK_NOT_FILLABLE: ERR.FOK_NOT_FILLABLE,
};

/** Deterministic API keys from the seed, so a drill's clients can be re-derived (run.json has the seed). */
export function deriveAccountKeys(seed: number, count: number): AccountKey[] {
  const random = seededRandom(seed ^ 0x5eed);
  const hex = () =>
    Math.floor(random() * 0x100000000)
      .toString(16)
      .padStart(8, "0");
  const keys: AccountKey[] = [];
  for (let accountId = 1; accountId <= count; accountId++) {
    keys.push({ accountId, apiKey: `stp${hex()}${hex()}${hex()}${hex()}` });
  }
  return keys;
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
    for (const a of this.accounts) this.accountByKey.set(a.apiKey, a.accountId);
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
        return { route };
      case "depth": {
        const symbol = this.spec(params.required("symbol")).symbol;
        const limit = params.optionalInt("limit", 1, 1000, 500);
        if (!(DEPTH_LIMITS as readonly number[]).includes(limit))
          throw new ApiError(ERR.INVALID_PARAMETER, { name: "limit" });
        return { route, symbol, limit };
      }
      case "newOrder": {
        const spec = this.spec(params.required("symbol"));
        const side = params.oneOf<Side>("side", SIDES, ERR.INVALID_SIDE);
        const type = params.oneOf<OrderType>("type", TYPES, ERR.INVALID_ORDER_TYPE);
        const lots = params.units(
          "quantity",
          spec.stepSize,
          ERR.QTY_LESS_THAN_ZERO,
          ERR.QTY_NOT_INCREASED_BY_STEP_SIZE,
        );
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
          if (params.get("timeInForce") !== undefined)
            throw new ApiError(ERR.UNREAD_PARAM, { name: "timeInForce" });
        }
        const clientOrderId = params.get("newClientOrderId") ?? "";
        if (clientOrderId !== "" && !/^[.A-Z:/a-z0-9_-]{1,36}$/.test(clientOrderId)) {
          throw new ApiError(ERR.CLIENT_ORDER_ID_INVALID);
        }
        return {
          route,
          order: { accountId, symbol: spec.symbol, side, type, timeInForce, lots, priceTicks, clientOrderId },
        };
      }
      case "cancelOrder": {
        const symbol = this.spec(params.required("symbol")).symbol;
        const orderId = params.optionalId("orderId");
        const clientOrderId = params.get("origClientOrderId");
        if (orderId === undefined && clientOrderId === undefined)
          throw new ApiError(ERR.MANDATORY_PARAM, { name: "orderId" });
        return { route, symbol, orderId, clientOrderId };
      }
      case "positionRisk": {
        const raw = params.get("symbol");
        return { route, symbol: raw === undefined ? undefined : this.spec(raw).symbol };
      }
    }
  }

  /** Runs an admitted request when its service completes (the capacity model decided when). */
  execute(req: ParsedRequest, accountId: number): Outcome {
    switch (req.route) {
      case "ping":
        return { status: 200, body: "{}" };
      case "time":
        return { status: 200, body: `{"serverTime":${this.now()}}` };
      case "depth":
        return this.depth(req.symbol, req.limit);
      case "newOrder": {
        const result = this.engine.placeOrder(req.order);
        if ("error" in result) return engineError(result.error);
        return { status: 200, body: this.orderJson(result.order) };
      }
      case "cancelOrder": {
        const ref =
          req.orderId !== undefined
            ? { orderId: req.orderId }
            : { clientOrderId: req.clientOrderId as string };
        const result = this.engine.cancelOrder(accountId, req.symbol, ref);
        if ("error" in result) return engineError(result.error);
        return { status: 200, body: this.orderJson(result) };
      }
      case "positionRisk":
        return this.positionRisk(accountId, req.symbol);
    }
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

  /** Served from the read replica: the state as of its replication lag, like a real read path. */
  private positionRisk(accountId: number, symbol: string | undefined): Outcome {
    const now = this.now();
    this.replica.advance(now);
    if (this.replica.isBehind(accountId)) this.timeline.staleRead();
    const rows: string[] = [];
    for (const spec of this.config.symbols) {
      if (symbol !== undefined && spec.symbol !== symbol) continue;
      const view = this.replica.read(accountId, this.symbolIndex.get(spec.symbol) as number);
      const amountLots = view?.amountLots ?? 0;
      const entryTicks = view?.entryPriceTicks ?? 0;
      const markTicks = this.engine.lastPriceTicks(spec.symbol);
      const tick = Number(spec.tickSize);
      const step = Number(spec.stepSize);
      const amount = amountLots * step;
      const unrealized = amount * (markTicks - entryTicks) * tick;
      rows.push(
        JSON.stringify({
          symbol: spec.symbol,
          positionAmt: formatUnits(amountLots, spec.stepSize),
          entryPrice: (entryTicks * tick).toFixed(8),
          breakEvenPrice: (entryTicks * tick).toFixed(8),
          markPrice: (markTicks * tick).toFixed(8),
          unRealizedProfit: (amountLots === 0 ? 0 : unrealized).toFixed(8),
          // No margin model yet: a liquidation price needs balances and maintenance margin.
          liquidationPrice: "0",
          leverage: "20",
          maxNotionalValue: "1000000",
          marginType: "cross",
          isolatedMargin: "0.00000000",
          isAutoAddMargin: "false",
          positionSide: "BOTH",
          notional: (amount * markTicks * tick).toFixed(8),
          isolatedWallet: "0",
          updateTime: view?.updateTime ?? 0,
        }),
      );
    }
    return { status: 200, body: `[${rows.join(",")}]` };
  }

  private orderJson(o: Readonly<Order>): string {
    const spec = this.spec(o.symbol);
    const tick = Number(spec.tickSize);
    const step = Number(spec.stepSize);
    const avgTicks = o.executedLots > 0 ? o.cumQuoteTicksLots / o.executedLots : 0;
    return JSON.stringify({
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
      reduceOnly: false,
      closePosition: false,
      side: o.side,
      positionSide: "BOTH",
      stopPrice: "0",
      workingType: "CONTRACT_PRICE",
      priceProtect: false,
      origType: o.type,
      updateTime: o.updateTime,
    });
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

function engineError(code: EngineErrorCode): Outcome {
  const spec = ENGINE_ERRORS[code];
  return { status: spec.status, body: JSON.stringify({ code: spec.code, msg: spec.msg }) };
}
