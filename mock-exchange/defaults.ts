import type { FaultSpec, TierName, TierSizing } from "../loadtests/vocabulary/capacity.ts";
import type { MarketEvent } from "../loadtests/vocabulary/marketEvents.ts";
import type { StrategyParams } from "./capacity/strategies.ts";
import type { SymbolSpec } from "./engine/types.ts";
import type { MarketConfig } from "./market/marketConfig.ts";

/** The traffic classes the capacity model knows (docs/architecture.md "Vocabulary"). `other` = ping, time, control. */
export type ServiceClass = "order" | "position" | "depth" | "other";

/**
 * Every tunable of the mock exchange, declared once with its unit. The CLI and the control
 * plane validate overrides at the edge; the core trusts what it is given.
 *
 * Sizing (docs/architecture.md "Two clocks, two sizes"): a drill on this 2-core machine uses a normal load
 * of ~20 req/s, so the model is sized to the same demand/capacity ratios as a production venue
 * provisioned for normal load: ~15% utilisation at normal, ~15x overloaded at 100x.
 */
export interface ExchangeConfig {
  /**
   * Natural seconds per wall second for the slow loops (rate-limit windows; later autoscaling).
   * 1 for a venue in real time; a drill sets its profile's scale (docs/architecture.md "Two clocks").
   */
  timeScale: number;
  /** Seed of the service-time sampler; same seed, same sequence of service times. */
  seed: number;
  /**
   * Seed of the accounts' API keys and secrets and of listenKeys, for tests and benchmarks that
   * need the same keys on every venue. Unset (the default): random per venue, from the CSPRNG,
   * so nobody derives a venue's secrets from `seed` (which run.json records).
   */
  secretsSeed?: number | undefined;
  /** Accounts created at reset (account 0 is the house market maker, never handed out). */
  accounts: number;
  /**
   * Cash each account is created with at reset (engine createAccount), so margin checks (-2019)
   * and the liquidation engine apply. USDT (whole or fractional), not cash units.
   */
  balances: {
    /** Each trading account's USDT wallet at reset. */
    initialBalanceUsdt: number;
    /** The house market maker's (account 0) USDT wallet at reset: deep enough to never be margin-limited. */
    houseBalanceUsdt: number;
  };
  auth: {
    /**
     * Keyed (USER_DATA/TRADE) endpoints require `timestamp` and an HMAC-SHA256 `signature` with the
     * account's secret (docs/facts.md "Signed requests"). false: the API key alone identifies the caller.
     */
    requireSignature: boolean;
  };
  symbols: SymbolSpec[];
  /** House market maker ladder at reset: levels per side and lots per level. */
  makerLevels: number;
  makerLotsPerLevel: number;
  limits: {
    /**
     * Request weight per client IP per minute, fixed windows aligned to the minute (docs/facts.md).
     * @asType integer
     * @minimum 1
     */
    weightPerMinute: number;
    /**
     * New and modified orders per account per 10 s, fixed windows (docs/facts.md "Limits"; limits/orderCountLimiter.ts).
     * @asType integer
     * @minimum 1
     */
    ordersPer10s: number;
    /**
     * New and modified orders per account per minute, fixed windows aligned to the minute.
     * @asType integer
     * @minimum 1
     */
    ordersPerMinute: number;
    /**
     * Weight refusals (429) an IP may collect in one (natural) minute window; its next refused
     * request is answered 418 and starts a ban. Compressed with the window like the weight budget
     * (limits/banList.ts states the whole rule).
     * @asType integer
     * @minimum 0
     */
    banAfterRefusalsPerMinute: number;
    /**
     * First ban of an IP, natural ms; each repeat doubles it (docs/facts.md: "from 2 minutes to 3 days").
     * @minimum 0
     */
    banBaseMs: number;
    /**
     * Longest ban, natural ms.
     * @minimum 0
     */
    banMaxMs: number;
    /**
     * An IP's offences are forgotten this long (natural ms) after its last ban ended.
     * @minimum 0
     */
    banForgetMs: number;
    /**
     * Fewest weight units a drill's compressed weight window may hold, and fewest orders a
     * compressed order window may hold (limits/window.ts: windows are compressed less than the
     * time scale rather than round the venue's rate away).
     * @asType integer
     * @minimum 1
     */
    minWindowWeight: number;
    /**
     * Fewest orders a compressed order window may hold (see minWindowWeight).
     * @asType integer
     * @minimum 1
     */
    minWindowOrders: number;
  };
  /** Take the client IP from the first X-Forwarded-For entry (one k6 process stands for many clients). */
  trustProxy: boolean;
  capacity: {
    /**
     * false: the capacity model is bypassed and every admitted request is executed at once
     * (no modelled service time, queue, shedding or sequencer; the strategy and the faults, which
     * act through the model, do nothing). For benchmarks of the HTTP stack itself (`npm run bench
     * -- http_order_rps`) and for `stampede serve --capacity unlimited` (a client developer's venue,
     * where one client meets the weight limit, not queue timeouts), never for a drill. Honoured by
     * Venue.admissionState.
     */
    enabled: boolean;
    /**
     * Provisioning strategy (capacity/strategies.ts), e.g. `fixed`, `reactive`,
     * `reactive+priority-shedding`. Validated at the edge (CLI, control plane).
     */
    strategy: string;
    /** Tunables of the strategy presets (overprovision factor, schedule); defaults in strategies.ts. */
    strategyParams: Partial<StrategyParams>;
    /**
     * Each tier sized for normal load. `gateway` serves orders and depth, `read` (the read
     * replicas) serves position reads; orders then pass the sequencer.
     */
    tiers: Record<TierName, TierSizing>;
    /** The matching engine is one sequencer: orders it can sequence per second (deterministic service). */
    sequencerOrdersPerS: number;
    /** Mean service time per class, ms. */
    serviceTimeMs: Record<ServiceClass, number>;
    /**
     * Shortest service time per class, ms: a service time is this plus an exponential tail
     * with mean (serviceTimeMs - minimum). 0 gives a pure exponential (M/M/c).
     */
    serviceTimeMinMs: Record<ServiceClass, number>;
    /** A request whose wait in the queue would exceed this gets 503 -1007 after waiting it, ms. */
    queueTimeoutMs: number;
    /** Waiting requests beyond this are shed at once with 503 -1008. */
    maxQueue: number;
  };
  replica: {
    /**
     * Minimum replication delay, ms, even when idle (Aurora: well under 100 ms).
     * @minimum 0
     */
    baseLagMs: number;
    /**
     * Position changes the read replica applies per second; lag grows when writes exceed it.
     * @exclusiveMinimum 0
     */
    applyPerS: number;
    /**
     * Changes waiting for the replica at most; past it the oldest is applied at once (memory:
     * 40 bytes a change; capacity/readReplica.ts says why). Binds only after writes outpaced
     * applyPerS for tens of natural minutes.
     * @asType integer
     * @minimum 1
     */
    maxBacklogChanges: number;
  };
  /**
   * Funding of the perpetuals (engine/funding.ts states the formula; Binance USDⓈ-M "Introduction
   * to Binance Futures Funding Rates"). Both periods are natural time, compressed by timeScale.
   */
  funding: {
    /** Natural ms between settlements (Binance: every 8 h for most contracts). */
    intervalNaturalMs: number;
    /** Natural ms between premium index samples (Binance: 5 s, 5,760 per 8 h); must divide the interval. */
    samplePeriodNaturalMs: number;
    /** Interest rate per interval, ppm of notional (Binance: 0.01% per 8 h = 100). */
    interestPpm: number;
    /** Half-width of the clamp on (interest − premium), ppm (Binance: 0.05% = 500). */
    clampPpm: number;
    /** Cap and floor of the funding rate, ppm (0.75% = 7,500; Binance sets one per contract). */
    capPpm: number;
    /**
     * Impact Margin Notional, USDT: the book depth the impact bid/ask average over. Binance:
     * 200 USDT / the initial margin rate at the maximum leverage (125x: 0.8%) = 25,000 USDT.
     */
    impactNotionalUsdt: number;
  };
  /** Own fills kept per account and symbol for GET /fapi/v1/userTrades (a ring: the newest ones; Binance's max limit is 1,000). */
  userTradesPerSymbol: number;
  /**
   * One-minute candles kept per symbol for GET /fapi/v1/klines and /ticker/24hr (marketData.ts:
   * a ring of the newest natural minutes that saw a trade; coarser intervals are aggregated from
   * them). Bounds the venue's memory on a long run: about 90 bytes a minute.
   */
  klineMinutesPerSymbol: number;
  /**
   * How long final orders (FILLED, CANCELED, EXPIRED) stay queryable (engine/orderStore.ts
   * "Retention"); after that GET order answers -2013 and cancel -2011, as for an unknown id. Open
   * orders are never forgotten. Horizons in natural ms, compressed by timeScale; counted from the
   * order's creation, as Binance counts them.
   */
  orderRetention: {
    /** A CANCELED or EXPIRED order with no fill (Binance USDⓈ-M Query Order: 3 days). */
    unfilledNaturalMs: number;
    /** Any other final order (Binance: any order created more than 90 days ago is not found). */
    filledNaturalMs: number;
    /**
     * Final orders held at most, the one that became final first forgotten first: the mock keeps
     * orders in memory, where days of a drill's orders do not fit (a 6-hour drill at 600 orders/s
     * makes 13M), so past this count the horizons give way.
     */
    maxFinalOrders: number;
  };
  /** Scripted faults, natural seconds from the start (a drill takes them from its profile). */
  faults: FaultSpec[];
  /**
   * Scripted price shocks, natural seconds from the start (a drill takes them from its profile):
   * the venue moves the index and re-quotes the house ladder along them (marketEvents.ts).
   */
  marketEvents: MarketEvent[];
  /** Natural ms between steps of a market event's linear move (each step re-quotes the house ladder). */
  marketEventStepNaturalMs: number;
  /**
   * Accounts opened at reset with leveraged positions against the house market maker, so a price
   * shock has positions to liquidate (the drill's own accounts hold 100,000 USDT and trade 0.001-
   * 0.01 BTC: no shock liquidates them). Only when `marketEvents` is not empty: without a shock
   * they never liquidate. Numbered after `accounts`, with no API key: never handed to a client.
   */
  leveragedAccounts: {
    /** Accounts, spread over the symbols in turn, long and short alternately. */
    count: number;
    /** Each position's notional at the reference price, USDT. */
    notionalUsdt: number;
    /**
     * Liquidation prices spread evenly (with seeded jitter) over this band of distances from the
     * reference price, percent: the wallet is what puts the liquidation there, the leverage the
     * least that opens the position with it.
     */
    liquidationDistanceMinPct: number;
    liquidationDistanceMaxPct: number;
  };
  /**
   * The market model (market/): makers whose quotes pass admission, sell shocks, collateral and
   * its oracle. undefined (the default): the house ladder and `marketEvents` alone. A profile's
   * `market` turns it on (scripts/exchangeConfig.ts) with market/marketConfig.ts MARKET_DEFAULTS.
   */
  market: MarketConfig | undefined;
  /** Largest request body accepted, bytes. */
  maxBodyBytes: number;
  /**
   * The HTTP listener (api/listener.ts): how many sockets it holds and how long an idle or slow one
   * may stay. Wall ms, never compressed by the time scale: they guard the process's memory and
   * file descriptors, not a behaviour of the venue that a drill measures.
   */
  listener: {
    /**
     * Sockets open at once, HTTP and WebSocket together (node:net `maxConnections`); past it a new
     * connection is closed as it is accepted, before any byte is read.
     */
    maxConnections: number;
    /** An idle keep-alive socket is closed this long after its last response. */
    keepAliveTimeoutMs: number;
    /**
     * A request's line and headers must have arrived this long after the socket connected (or,
     * on a kept-alive socket, after the request began); else 408 and close. A socket that sends
     * nothing at all, or half a request line, is closed by this.
     */
    headersTimeoutMs: number;
    /** A whole request, body included, must have arrived within this; else 408 and close. */
    requestTimeoutMs: number;
  };
  /** WebSocket streams (api/streams.ts) and the feeds behind them. */
  streams: {
    /**
     * forceOrder snapshot window, wall ms: one snapshot per symbol per window. Not compressed by the
     * time scale: liquidations arrive at the drill's wall-clock rates (requests run in real time,
     * docs/architecture.md "Two clocks"), so a wall second hides as many of them as the venue's second does.
     */
    forceOrderThrottleMs: number;
    /** `<symbol>@depth` and `<symbol>@depth<N>` push interval without a suffix, wall ms (Binance: 250). */
    depthIntervalMs: number;
    /** A listenKey lapses this long after its last POST/PUT, natural ms (Binance: 60 minutes); compressed by timeScale. */
    listenKeyValidityMs: number;
    /** MARGIN_CALL when an account's margin ratio (maintenance margin / margin balance) rises to this; liquidation is at 1. */
    marginCallRatio: number;
    /** Streams one connection may subscribe to (Binance USDⓈ-M: 1024). */
    maxStreamsPerConnection: number;
    /** Messages a client may send per wall second on one connection; beyond, it is disconnected (Binance: 10). */
    maxIncomingMessagesPerS: number;
    /**
     * Largest message a client may send, bytes: a frame whose header announces more (or fragments
     * adding up to more) closes the connection with 1009 before its payload is read.
     */
    maxIncomingMessageBytes: number;
    /** Open WebSocket connections; past it an upgrade is refused with 503 and a `{code,msg}` body. */
    maxConnections: number;
    /**
     * The server pings every connection this often, natural ms (Binance USDⓈ-M: every 3 minutes),
     * compressed by the time scale like `listenKeyValidityMs` (api/streams.ts keepAliveMs).
     */
    pingIntervalNaturalMs: number;
    /** A connection that sent no pong for this long is closed, natural ms (Binance: 10 minutes). */
    pongTimeoutNaturalMs: number;
    /**
     * Shortest pong timeout a compression may give, wall ms: beyond it ping and pong are compressed
     * less than the time scale, so a client that answers is not dropped for a busy event loop.
     */
    pongTimeoutMinWallMs: number;
  };
}

export const DEFAULT_SYMBOLS: SymbolSpec[] = [
  { symbol: "BTCUSDT", tickSize: "0.10", stepSize: "0.001", referencePriceTicks: 600_000 },
  { symbol: "ETHUSDT", tickSize: "0.01", stepSize: "0.001", referencePriceTicks: 300_000 },
];

export const EXCHANGE_DEFAULTS: ExchangeConfig = {
  timeScale: 1,
  seed: 1,
  accounts: 64,
  balances: { initialBalanceUsdt: 100_000, houseBalanceUsdt: 1_000_000_000 },
  auth: { requireSignature: true },
  symbols: DEFAULT_SYMBOLS,
  makerLevels: 200,
  makerLotsPerLevel: 5_000,
  // Binance USDⓈ-M: 2,400 weight per IP per minute; 300 orders per 10 s and 1,200 per minute per
  // account; bans of 2 minutes to 3 days (docs/facts.md "Limits"). The ban trigger and memory are
  // ours (Binance does not publish them): 600 refusals per minute is a client that keeps sending
  // ~10 requests/s after its 429. The smoke drill's clients, which ignore Retry-After, are refused
  // ~60 times a second in the burst and would be banned (a client that merely touches the limit is
  // not); drills keep the trigger out of reach for now (scripts/exchangeConfig.ts says why).
  limits: {
    weightPerMinute: 2_400,
    ordersPer10s: 300,
    ordersPerMinute: 1_200,
    banAfterRefusalsPerMinute: 600,
    banBaseMs: 120_000,
    banMaxMs: 259_200_000,
    banForgetMs: 86_400_000,
    // Floors of a compressed window's budget (limits/window.ts): eight position reads of weight 5,
    // five orders. Both bind from time scale 60 on, so smoke at its own scale is compressed
    // exactly by the time scale; its 20 s test drill (scale 180) keeps budgets of 40 weight and
    // 5 orders per window instead of 13.3 and 1.67.
    minWindowWeight: 40,
    minWindowOrders: 5,
  },
  trustProxy: false,
  capacity: {
    enabled: true,
    // The default drill shows the autoscaler's capacity arriving minutes after the burst.
    strategy: "reactive",
    strategyParams: {},
    // Sized so the smoke profile's normal load uses ~10-20% of each tier, as a venue provisioned
    // for normal load with headroom; 100x is then 8-20x what `fixed` can serve.
    tiers: {
      gateway: { baselineInstances: 3, concurrencyPerInstance: 1 },
      read: { baselineInstances: 2, concurrencyPerInstance: 1 },
    },
    sequencerOrdersPerS: 1_500,
    serviceTimeMs: { order: 30, position: 40, depth: 15, other: 1 },
    serviceTimeMinMs: { order: 10, position: 15, depth: 5, other: 0.3 },
    queueTimeoutMs: 300,
    maxQueue: 48,
  },
  // ~75x the smoke profile's normal write rate (6 orders/s, ~half fill, two positions per fill):
  // the replica keeps up with a busy day and falls behind in a 100x burst, then catches up.
  // 2^20 changes (~42 MB of log) are 39 minutes of backlog at 450/s: far beyond any drill's burst.
  replica: { baseLagMs: 5, applyPerS: 450, maxBacklogChanges: 1_048_576 },
  funding: {
    intervalNaturalMs: 8 * 3_600_000,
    samplePeriodNaturalMs: 5_000,
    interestPpm: 100,
    clampPpm: 500,
    capPpm: 7_500,
    impactNotionalUsdt: 25_000,
  },
  userTradesPerSymbol: 1_000,
  // A natural week of minutes: the 24 h ticker and every interval up to 1w with room to spare.
  klineMinutesPerSymbol: 10_080,
  // Binance USDⓈ-M "Query Order": not found once CANCELED or EXPIRED with no filled trade and
  // created more than 3 days ago, or created more than 90 days ago. 200,000 final orders are ~55 MB
  // of heap and 5.5 minutes of a 600 orders/s drill, far longer than a client of a drill keeps an
  // order id it still queries (the k6 behaviours cancel or read back their orders within seconds).
  orderRetention: {
    unfilledNaturalMs: 3 * 86_400_000,
    filledNaturalMs: 90 * 86_400_000,
    maxFinalOrders: 200_000,
  },
  faults: [],
  marketEvents: [],
  marketEventStepNaturalMs: 1_000,
  // 40 positions of 1M USDT (~17 BTC, ~330 ETH) whose liquidation prices lie 2-15% from the
  // price: a 12% drop over minutes liquidates the longs one after another, each selling into the
  // house bids (docs/facts.md "Incident shapes": price drop -> liquidation -> forced sell).
  leveragedAccounts: {
    count: 40,
    notionalUsdt: 1_000_000,
    liquidationDistanceMinPct: 2,
    liquidationDistanceMaxPct: 15,
  },
  market: undefined,
  maxBodyBytes: 16 * 1024,
  listener: {
    // The largest drill plans ~2,300 VUs at rate scale 1 (liquidation-cascade: 2,153 for requests,
    // 131 stream watchers; loadtests/lib/plan.ts), each holding one keep-alive connection: 10,000
    // leaves room for --rate-scale 4 and the orchestrator's own connections.
    maxConnections: 10_000,
    // Longer than the 60 s idle timeout clients' pools commonly use, so a client never reuses a
    // socket the venue is closing.
    keepAliveTimeoutMs: 65_000,
    // A client on loopback sends its headers in one write; 15 s is still generous for a k6 whose
    // CPU is saturated, and closes a silent socket four times sooner than Node's default (60 s).
    headersTimeoutMs: 15_000,
    // Bodies are at most 16 KiB (maxBodyBytes).
    requestTimeoutMs: 30_000,
  },
  // Binance USDⓈ-M "Websocket Market Streams" and "User Data Streams"; the 80% margin call is ours
  // (Binance pushes MARGIN_CALL "when the user's position risk ratio is too high", no figure given).
  streams: {
    forceOrderThrottleMs: 1_000,
    depthIntervalMs: 250,
    listenKeyValidityMs: 3_600_000,
    marginCallRatio: 0.8,
    maxStreamsPerConnection: 1_024,
    maxIncomingMessagesPerS: 10,
    // Binance documents no message size. The largest a client needs is a SUBSCRIBE naming the 1,024
    // streams a connection may hold (~25 bytes each, e.g. "ethusdt@depth20@100ms" quoted): ~26 KB.
    maxIncomingMessageBytes: 64 * 1024,
    // Drills hold at most ~130 watcher connections at once (liquidation-cascade); 1,024 is 8x that.
    maxConnections: 1_024,
    pingIntervalNaturalMs: 180_000,
    pongTimeoutNaturalMs: 600_000,
    pongTimeoutMinWallMs: 5_000,
  },
};

/**
 * The control plane (`/__stampede/*`, api/control.ts): who may steer a venue and how long a
 * drill holds it. Not part of ExchangeConfig: they govern access to the venue, not the venue.
 */
export const CONTROL_PLANE_DEFAULTS = {
  /**
   * A lease lapses this long (wall ms) after it was taken or last renewed. A drill renews it every
   * few seconds; a drill that died frees the venue within this.
   */
  leaseTtlMs: 30_000,
  /** Random bytes of a generated control token (hex: twice as many characters). */
  tokenBytes: 32,
  /** Shortest control token accepted from an operator (`serve --token`). */
  minTokenLength: 16,
} as const;
