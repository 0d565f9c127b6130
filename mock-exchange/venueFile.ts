import type { TierName, TierSizing } from "../loadtests/vocabulary/capacity.ts";
import {
  DEFAULT_STRATEGY_PARAMS,
  type StrategyParams,
  type TargetTrackingParams,
} from "./capacity/strategies.ts";
import type { SheddingPolicy } from "./capacity/types.ts";
import type { ExchangeConfig, ServiceClass } from "./defaults.ts";

/**
 * A venue file (`--venue FILE`, YAML or JSON): the system under test, as a deep-partial
 * serialisation of the venue's parts of ExchangeConfig (capacity, replica, limits) plus the price
 * of its instances. Not a second model: a field left out keeps its default from defaults.ts, and
 * `applyVenueFile` is the one place a file becomes config. docs/schemas/venue.schema.json is
 * generated from this type (`npm run schemas`, scripts/schemas.ts).
 */
export interface VenueFile {
  /** The JSON Schema the file follows (editors use it); ignored by stampede. */
  $schema?: string;
  /** Free text: whose venue this is, and where the numbers come from. */
  description?: string;
  /** The capacity model: tiers, service times, the sequencer, the queue and the provisioning strategy. */
  capacity?: VenueCapacity;
  /** The read replica that serves position reads. */
  replica?: Partial<ExchangeConfig["replica"]>;
  /** Request weight, order counts and the IP ban ladder. */
  limits?: Partial<ExchangeConfig["limits"]>;
  /** What the instances cost. */
  pricing?: VenuePricing;
  /** How well a calibrated file's values fit the measurements (written by `stampede calibrate`; ignored when loading). */
  fit?: CalibrationFit;
}

export interface VenueCapacity {
  /** Provisioning strategy when the command gives none, e.g. `reactive`, `fixed+priority-shedding`. */
  strategy?: string;
  /**
   * What each strategy preset fixes (autoscaler timings, schedule, shedding thresholds). Without
   * scheduledAtS a run derives it from its profile: 300 s before the first phase above normal.
   */
  strategyParams?: VenueStrategyParams;
  /**
   * Each tier sized for normal load. `gateway` serves orders and depth reads, `read` (the read
   * replicas) serves position reads; orders then pass the sequencer. Workers = instances x concurrency.
   */
  tiers?: Partial<Record<TierName, Partial<TierSizing>>>;
  /**
   * The matching engine is one sequencer: orders it can sequence per second (deterministic service).
   * @exclusiveMinimum 0
   */
  sequencerOrdersPerS?: number;
  /** Mean service time per traffic class, ms (each > 0). */
  serviceTimeMs?: Partial<Record<ServiceClass, number>>;
  /**
   * Shortest service time per class, ms: a service time is this plus an exponential tail with mean
   * (serviceTimeMs - minimum). 0 gives a pure exponential (M/M/c).
   */
  serviceTimeMinMs?: Partial<Record<ServiceClass, number>>;
  /**
   * A request whose wait in the queue would exceed this gets 503 -1007 after waiting it, ms.
   * @exclusiveMinimum 0
   */
  queueTimeoutMs?: number;
  /**
   * Waiting requests beyond this are shed at once with 503 -1008.
   * @asType integer
   * @minimum 0
   */
  maxQueue?: number;
}

/** StrategyParams with every field optional, the nested ones too. */
export interface VenueStrategyParams
  extends Partial<Omit<StrategyParams, "reactive" | "reactiveHpa" | "shedding">> {
  /** `reactive`: AWS EC2 Auto Scaling target tracking. */
  reactive?: Partial<TargetTrackingParams>;
  /** `reactive-hpa`: Kubernetes Horizontal Pod Autoscaler. */
  reactiveHpa?: Partial<TargetTrackingParams>;
  /** `+priority-shedding`: what is reserved for priority requests and when new orders are shed. */
  shedding?: Partial<SheddingPolicy>;
}

export interface VenuePricing {
  /** USD per instance-hour per tier (`stampede compare` prices instance-minutes with it). */
  usdPerInstanceHour?: Partial<Record<TierName, number>>;
}

/** One traffic class as calibration measured it. */
export interface CalibratedClass {
  /** Requests sent in the low-load step. */
  lowLoadRequests: number;
  /** Mean service time at low load, ms: the latency with nothing queued, less the ping's round trip. */
  meanServiceTimeMs: number;
  /** Percentiles of the low-load latency, ms. */
  serviceTimeP50Ms: number;
  serviceTimeP99Ms: number;
  /** Smallest latency seen at low load, ms. */
  minServiceTimeMs: number;
  /** Highest throughput served before latency turned, requests per second; null when the cap came first. */
  kneeRps: number | null;
  /** Workers = knee throughput x mean service time; null without a knee. */
  workers: number | null;
  /** Instances x concurrency that workers was split into. */
  instances: number | null;
  concurrencyPerInstance: number | null;
  /**
   * Mean relative error of the fitted model's predicted latency against each measured step below the
   * knee (0.05 = 5%); null with fewer than two such steps.
   */
  relativeError: number | null;
  /** Each load step: offered and served rate, mean and p99 latency, refusals. */
  steps: Array<{ offeredRps: number; servedRps: number; meanMs: number; p99Ms: number; refused: number }>;
}

/** What `stampede calibrate` measured and how well its model fits. */
export interface CalibrationFit {
  /** Where and when: the target's base URL and the ISO time of the calibration. */
  target: string;
  at: string;
  /** The rate cap it respected, requests per second. */
  maxRps: number;
  /** Unloaded round trip of GET /fapi/v1/ping, ms: subtracted from each class's latency to give its service time. */
  overheadMs?: number;
  /** Per traffic class, what was measured. */
  classes: Partial<Record<"order" | "position" | "depth", CalibratedClass>>;
}

/** The tiers each calibrated class is served by (capacity model: orders and depth by the gateway). */
export const CLASS_TIER: Readonly<Record<"order" | "position" | "depth", TierName>> = {
  order: "gateway",
  position: "read",
  depth: "gateway",
};

/**
 * The config a venue file describes: `base` with every field the file gives replaced, nested
 * objects merged field by field. `base` is the profile's or the defaults' config; the file wins.
 */
export function applyVenueFile(base: ExchangeConfig, venue: VenueFile): ExchangeConfig {
  const cap = venue.capacity ?? {};
  const params = cap.strategyParams ?? {};
  const baseParams = base.capacity.strategyParams;
  const strategyParams: Partial<StrategyParams> = { ...baseParams, ...withoutNested(params) };
  if (params.reactive !== undefined)
    strategyParams.reactive = merge(defaultsOf("reactive", baseParams), params.reactive);
  if (params.reactiveHpa !== undefined)
    strategyParams.reactiveHpa = merge(defaultsOf("reactiveHpa", baseParams), params.reactiveHpa);
  if (params.shedding !== undefined)
    strategyParams.shedding = merge(defaultsOf("shedding", baseParams), params.shedding);
  const tiers = { ...base.capacity.tiers };
  for (const [tier, sizing] of Object.entries(cap.tiers ?? {}) as Array<[TierName, Partial<TierSizing>]>)
    tiers[tier] = merge(tiers[tier], sizing);
  return {
    ...base,
    capacity: {
      ...base.capacity,
      ...defined({
        strategy: cap.strategy,
        sequencerOrdersPerS: cap.sequencerOrdersPerS,
        queueTimeoutMs: cap.queueTimeoutMs,
        maxQueue: cap.maxQueue,
      }),
      strategyParams,
      tiers,
      serviceTimeMs: merge(base.capacity.serviceTimeMs, cap.serviceTimeMs ?? {}),
      serviceTimeMinMs: merge(base.capacity.serviceTimeMinMs, cap.serviceTimeMinMs ?? {}),
    },
    replica: merge(base.replica, venue.replica ?? {}),
    limits: merge(base.limits, venue.limits ?? {}),
  };
}

/** The prices a venue file gives, over `base`. */
export function venuePrices(
  base: Readonly<Record<TierName, number>>,
  venue: VenueFile,
): Record<TierName, number> {
  return merge({ ...base }, venue.pricing?.usdPerInstanceHour ?? {});
}

type NestedParam = "reactive" | "reactiveHpa" | "shedding";

function defaultsOf<K extends NestedParam>(key: K, params: Partial<StrategyParams>): StrategyParams[K] {
  return params[key] ?? DEFAULT_STRATEGY_PARAMS[key];
}

function withoutNested(p: VenueStrategyParams): Partial<StrategyParams> {
  const { reactive: _r, reactiveHpa: _h, shedding: _s, ...flat } = p;
  return defined(flat) as Partial<StrategyParams>;
}

function merge<T extends object>(base: T, patch: Partial<T>): T {
  return { ...base, ...defined(patch) };
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
