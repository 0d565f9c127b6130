import type { TierName } from "../loadtests/vocabulary/capacity.ts";
import { ApiError, ERR } from "../loadtests/vocabulary/exchangeErrors.ts";
import type { TimelinePoint } from "../loadtests/vocabulary/runFolder.ts";
import type { RejectReason, TrafficClass } from "../loadtests/vocabulary/traffic.ts";
import type { AdmissionState } from "./admission.ts";
import { type SigningKey, signingKey } from "./api/auth.ts";
import { Params } from "./api/params.ts";
import type { RouteName } from "./api/routes.ts";
import { CapacityModel, closeCapacitySecond } from "./capacity/model.ts";
import { ReadReplica } from "./capacity/readReplica.ts";
import type { ExchangeConfig } from "./defaults.ts";
import { MatchingEngine } from "./engine/matchingEngine.ts";
import type { LiquidationEvent, SymbolSpec } from "./engine/types.ts";
import { ForceOrderThrottle } from "./forceOrderThrottle.ts";
import { IpLimiter } from "./limits/ipLimiter.ts";
import { OrderCountLimiter } from "./limits/orderCountLimiter.ts";
import { limitWindowCompression } from "./limits/window.ts";
import { ListenKeys } from "./listenKeys.ts";
import { marketEngineOptions } from "./market/marketConfig.ts";
import { MarketModel } from "./market/marketModel.ts";
import { MarketData } from "./marketData.ts";
import { seededRandom } from "./random.ts";
import { Timeline } from "./timeline.ts";
import { type AccountKey, provisionAccountKeys, unpredictableRandom } from "./venue/accountKeys.ts";
import { usdtToCash } from "./venue/cash.ts";
import { exchangeInfoTail } from "./venue/exchangeInfo.ts";
import { executeRoute } from "./venue/executeRoute.ts";
import { VenueFunding } from "./venue/funding.ts";
import { HOUSE_ACCOUNT, openLeveragedPositions, seedHouseLiquidity } from "./venue/houseLiquidity.ts";
import { MarketMoves } from "./venue/marketMoves.ts";
import { engineError } from "./venue/outcomes.ts";
import { parseRequest } from "./venue/parseRequest.ts";
import type { Outcome, ParsedRequest } from "./venue/request.ts";
import type { VenueRooms } from "./venue/rooms.ts";

export {
  type AccountKey,
  deriveAccountKeys,
  provisionAccountKeys,
  unpredictableRandom,
} from "./venue/accountKeys.ts";
export { isPriority, type Outcome, ordersPlacedBy, type ParsedRequest } from "./venue/request.ts";

/**
 * One venue's state: engine, limits, capacity model, read replica and timeline, built from a
 * config and a seed. The HTTP layer (api/server.ts) parses and routes; this decides and executes.
 * The work itself is in venue/ by concern (parsing, the routes' executors, JSON views, funding,
 * house liquidity, market moves); this class holds the state they share and the API the server,
 * the simulators and the tests use.
 */
/** Wall ms between the market model's steps while requests keep the venue busy. */
const MARKET_STEP_MS = 20;
/** The answer of a stop placement that reached the engine after the mark passed its stop. */
const STOP_LATE_BODY = engineError("WOULD_IMMEDIATELY_TRIGGER").body;

function isStopPlacement(req: ParsedRequest): boolean {
  return (
    req.route === "newOrder" && (req.order.type === "STOP_MARKET" || req.order.type === "TAKE_PROFIT_MARKET")
  );
}

export class Venue implements VenueRooms {
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
  /** Premium samples and funding settlements per symbol (venue/funding.ts). */
  readonly funding: VenueFunding;
  readonly accounts: AccountKey[];
  private readonly accountByKey = new Map<string, number>();
  /** Secret by accountId (index 0, the house account, has none). */
  private readonly secrets: string[] = [""];
  /** The secrets as HMAC keys, made on first use (signingKeyOf). */
  private readonly signingKeys: SigningKey[] = [];
  private exchangeInfoText: string | undefined;
  private readonly symbolIndex = new Map<string, number>();
  /** The scripted price path (venue/marketMoves.ts); undefined without market events. */
  private readonly market: MarketMoves | undefined;

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
    const random = seededRandom(config.seed);
    config.symbols.forEach((s, i) => {
      this.symbolIndex.set(s.symbol, i);
    });
    // Retention horizons are natural time: compressed like the listenKey validity below.
    const retention = config.orderRetention;
    this.engine = new MatchingEngine({
      symbols: config.symbols,
      now,
      // The market model's fund, band and median mark; without it, the engine's defaults.
      ...marketEngineOptions(config.market, config.symbols, config.timeScale),
      tradeHistoryPerSymbol: config.userTradesPerSymbol,
      orderRetention: {
        unfilledMs: retention.unfilledNaturalMs / config.timeScale,
        filledMs: retention.filledNaturalMs / config.timeScale,
        maxFinalOrders: retention.maxFinalOrders,
      },
    });
    this.funding = new VenueFunding(config, this.engine, this.originMs);
    this.limiter = new IpLimiter(config.limits, config.timeScale, this.originMs);
    this.orderLimiter = new OrderCountLimiter(
      config.limits.ordersPer10s,
      config.limits.ordersPerMinute,
      limitWindowCompression(config.limits, config.timeScale),
      this.originMs,
    );
    this.capacity = new CapacityModel(config, random, this.originMs);
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
    this.listenToEngine();
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
        this.symbolIndexOf(p.symbol),
        p.amountLots,
        p.entryPriceTicks,
        p.updateTime,
        this.now(),
      );
    });
    if (config.market !== undefined) {
      // Makers instead of the house ladder; the scripted path, if any, moves only the index.
      this.marketModel = new MarketModel(
        config,
        config.market,
        this.engine,
        this.agentAdmission(),
        this.originMs,
        now,
      );
      this.market = MarketMoves.of(config, this.engine, this.originMs, "index");
      this.marketDueMs = this.originMs;
      return;
    }
    // Leveraged positions trade at the reference price before the ladder is quoted around it.
    if (config.marketEvents.length > 0) openLeveragedPositions(this.engine, config);
    this.market = MarketMoves.of(config, this.engine, this.originMs, "ladder");
    seedHouseLiquidity(this.engine, config);
  }

  /**
   * The market model (market/marketModel.ts): makers through admission, shocks, collateral and
   * its oracle; undefined without `config.market`.
   */
  readonly marketModel: MarketModel | undefined;
  /** Wall ms by which the market model has work (makers' answers, updates, shock slices, the oracle). */
  private marketDueMs = Number.POSITIVE_INFINITY;

  /** The admission the market's agents meet: the clients' limiters and capacity, no key or signature checks. */
  private agentAdmission(): AdmissionState {
    return { ...this.admissionState(), verify: undefined, requireSignature: false };
  }

  /** Plays the market model to `now` when it has work due (at most every MARKET_STEP_MS). */
  private advanceMarketModel(now: number): void {
    const model = this.marketModel;
    if (model === undefined || now < this.marketDueMs) return;
    model.advance(now);
    this.marketDueMs = now + MARKET_STEP_MS;
  }

  /** The engine's trades feed the market data, its liquidations the forceOrder feed and the timeline. */
  private listenToEngine(): void {
    // Each trade once, from its taker's side (the maker's update of the same fill is skipped).
    this.engine.onOrderUpdate((type, order, fill) => {
      if (type !== "TRADE" || fill === undefined || fill.maker) return;
      this.marketData.record(
        this.symbolIndexOf(order.symbol),
        fill.priceTicks,
        fill.lots,
        order.side === "BUY",
        fill.tradeId,
        this.now(),
      );
    });
    // Every liquidation order is counted, and whether the feed will show it (public liquidation
    // counts are undercounts). ADL events are the counterparties' forced reductions, not
    // liquidation orders: the forceOrder feed does not carry them.
    this.engine.onLiquidation((e) => {
      if (e.kind === "LIQUIDATION") this.timeline.liquidation(this.forceOrders.offer(e.symbol, e, e.time));
    });
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
    this.market?.advance(now);
    this.advanceMarketModel(now);
  }

  // ---- What the HTTP layer asks of the venue (api/): it says what happened to a request and
  // when the clock moved; which of the venue's parts count it, and how, is decided here. ----

  /** The parts decideAdmission reads and advances (admission.ts), made on first use. */
  admissionState(): AdmissionState {
    this.admission ??= {
      limiter: this.limiter,
      orderLimiter: this.orderLimiter,
      // Off (a benchmark of the HTTP stack alone): admitted requests run at once, unqueued.
      capacity: this.config.capacity.enabled ? this.capacity : undefined,
      verify: this,
      requireSignature: this.config.auth.requireSignature,
    };
    return this.admission;
  }
  private admission: AdmissionState | undefined;

  /** A request reached an exchange route. */
  recordArrival(cls: TrafficClass | undefined): void {
    this.timeline.arrival(cls);
  }

  /** A request passed admission, with the depth of the queue it joined (0: not queued). */
  recordAdmission(queueDepth: number): void {
    this.timeline.admittedOne(queueDepth);
  }

  /** A request was answered with success, `residenceMs` after it arrived. */
  recordServed(cls: TrafficClass | undefined, residenceMs: number): void {
    this.timeline.servedOne(cls, residenceMs);
  }

  /** A request was refused (residenceMs 0: at arrival) or failed after it was admitted. */
  recordRefusal(cls: TrafficClass | undefined, reason: RejectReason, residenceMs: number): void {
    this.timeline.rejectedOne(cls, reason, residenceMs);
  }

  /** The timeline's closed seconds from `sinceS` on. */
  timelineSince(sinceS: number): TimelinePoint[] {
    return this.timeline.since(sinceS);
  }

  /**
   * Moves the venue's clock to `nowMs`, from one shared tick (no per-request timers): closes every
   * wall second of the timeline that ended by then, each handed to `secondClosed`, then plays the
   * market-event steps due with no request to carry them (advanceMarket) and moves the
   * provisioning loop within the open second.
   */
  advanceClock(nowMs: number, secondClosed: (point: TimelinePoint) => void): void {
    for (let endMs = this.secondEndMs(); endMs <= nowMs; endMs = this.secondEndMs()) {
      const second = this.closedSeconds;
      const point = this.timeline.closeSecond(
        second,
        closeCapacitySecond(this.capacity, this.replica, endMs, second),
      );
      if (this.marketModel !== undefined) point.market = this.marketModel.closeSecond();
      secondClosed(point);
      this.closedSeconds++;
    }
    this.advanceMarket(nowMs);
    this.capacity.tick(nowMs);
  }
  /** Wall seconds of the timeline closed by advanceClock. */
  private closedSeconds = 0;
  private secondEndMs(): number {
    return this.originMs + (this.closedSeconds + 1) * 1000;
  }

  /** A tier's instances now (read only: the metrics' gauges). */
  instances(tier: TierName): { readonly ready: number; readonly booting: number } {
    return this.capacity.provisioner.state(tier);
  }

  /** Natural instance-minutes billed per tier since the venue started (read only: the metrics' gauges). */
  instanceMinutes(): Record<TierName, number> {
    return this.capacity.cost();
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

  symbolIndexOf(symbol: string): number {
    return this.symbolIndex.get(symbol) as number;
  }

  exchangeInfoTail(): string {
    this.exchangeInfoText ??= exchangeInfoTail(this.config);
    return this.exchangeInfoText;
  }

  /** Validates a request's parameters at the edge (venue/parseRequest.ts); throws ApiError with the catalog entry. */
  parse(route: RouteName, params: Params, accountId: number): ParsedRequest {
    return parseRequest(route, params, accountId, this);
  }

  /** Runs an admitted request when its service completes (the capacity model decided when). */
  execute(req: ParsedRequest, accountId: number): Outcome {
    // Premium samples, settlements and market-event steps due before this request see the state before it.
    const market = this.market;
    if (market !== undefined && this.now() >= market.dueMs) market.advance(this.now());
    if (this.now() >= this.funding.dueMs) this.funding.advance(this.now());
    this.advanceMarketModel(this.now());
    const outcome = executeRoute(this, req, accountId);
    if (this.marketModel !== undefined && isStopPlacement(req) && outcome.body === STOP_LATE_BODY)
      this.marketModel.stopLate();
    return outcome;
  }

  /** A request refused at arrival or by the queue timeout: a stop placement's refusal is the market's too. */
  recordStopRefusal(
    route: RouteName,
    params: Params | ApiError | undefined,
    parsed: ParsedRequest | undefined,
  ): void {
    if (this.marketModel === undefined || route !== "newOrder") return;
    const type =
      parsed?.route === "newOrder"
        ? parsed.order.type
        : params instanceof Params
          ? params.get("type")
          : undefined;
    if (type === "STOP_MARKET" || type === "TAKE_PROFIT_MARKET") this.marketModel.stopRefused();
  }
}
