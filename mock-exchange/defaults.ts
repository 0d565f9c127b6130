import type { StrategyParams } from "./capacity/strategies.ts";
import type { FaultSpec, TierName, TierSizing } from "./capacity/types.ts";
import type { SymbolSpec } from "./engine/types.ts";

/** The traffic classes the capacity model knows (design.md "Vocabulary"). `other` = ping, time, control. */
export type ServiceClass = "order" | "position" | "depth" | "other";

/**
 * Every tunable of the mock exchange, declared once with its unit. The CLI and the control
 * plane validate overrides at the edge; the core trusts what it is given.
 *
 * Sizing (design.md "Two clocks, two sizes"): a drill on this 2-core machine uses a normal load
 * of ~20 req/s, so the model is sized to the same demand/capacity ratios as a production venue
 * provisioned for normal load: ~15% utilisation at normal, ~15x overloaded at 100x.
 */
export interface ExchangeConfig {
  /**
   * Natural seconds per wall second for the slow loops (rate-limit windows; later autoscaling).
   * 1 for a venue in real time; a drill sets its profile's scale (design.md "Two clocks").
   */
  timeScale: number;
  /** Seed of the service-time sampler; same seed, same sequence of service times. */
  seed: number;
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
     * account's secret (reference.md "Signed requests"). false: the API key alone identifies the caller.
     */
    requireSignature: boolean;
  };
  symbols: SymbolSpec[];
  /** House market maker ladder at reset: levels per side and lots per level. */
  makerLevels: number;
  makerLotsPerLevel: number;
  limits: {
    /** Request weight per client IP per minute, fixed windows aligned to the minute (reference.md). */
    weightPerMinute: number;
  };
  /** Take the client IP from the first X-Forwarded-For entry (one k6 process stands for many clients). */
  trustProxy: boolean;
  capacity: {
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
    /** Minimum replication delay, ms, even when idle (Aurora: well under 100 ms). */
    baseLagMs: number;
    /** Position changes the read replica applies per second; lag grows when writes exceed it. */
    applyPerS: number;
  };
  /** Scripted faults, natural seconds from the start (a drill takes them from its profile). */
  faults: FaultSpec[];
  /** Largest request body accepted, bytes. */
  maxBodyBytes: number;
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
  limits: { weightPerMinute: 2_400 },
  trustProxy: false,
  capacity: {
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
  replica: { baseLagMs: 5, applyPerS: 450 },
  faults: [],
  maxBodyBytes: 16 * 1024,
};
