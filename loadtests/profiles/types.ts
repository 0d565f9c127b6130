/**
 * Burst profiles are plain data (no k6 import) so the same object drives k6 and, later, the
 * virtual-time simulator (docs/architecture.md "Data flow"). Times are natural time, in seconds; a drill
 * compresses them by its time scale. Load is a multiple of each class's normal rate.
 */

import type { BehaviourMix } from "../lib/behaviours.ts";
import type { FaultSpec, TierName, TierSizing } from "../vocabulary/capacity.ts";
import type { MarketScenario } from "../vocabulary/market.ts";
import type { MarketEvent } from "../vocabulary/marketEvents.ts";
import type { TrafficClass } from "../vocabulary/traffic.ts";

/**
 * Requests per second of one traffic class.
 * @minimum 0
 */
export type RatePerS = number;

/** One stretch of the profile: the load ramps linearly from `from` to `to` over `durationS`. */
export interface ProfilePhase {
  /** The phase's label in run.json, the report's phase bands and its per-phase rows. */
  name: string;
  /**
   * Natural-time length of the phase, seconds.
   * @exclusiveMinimum 0
   */
  durationS: number;
  /**
   * Multiple of normal load at the start of the phase (1 = normal, 100 = a 100x burst); the rate
   * ramps linearly to `to`.
   * @minimum 0
   */
  from: number;
  /**
   * Multiple of normal load at the end of the phase.
   * @minimum 0
   */
  to: number;
  /**
   * Classes whose multiple differs from `from`/`to` in this phase (the Oct-10 cascade: orders
   * 100x, position reads 1000x normal).
   */
  byClass?: Partial<Record<TrafficClass, ClassMultiple>>;
}

/** A class's own multiples of its normal load in one phase. */
export interface ClassMultiple {
  /**
   * Multiple of the class's normal load at the start of the phase.
   * @minimum 0
   */
  from: number;
  /**
   * Multiple of the class's normal load at the end of the phase.
   * @minimum 0
   */
  to: number;
}

/**
 * The same profile at production size, for the simulator (docs/architecture.md "Two clocks, two sizes"):
 * absolute normal rates and the fleet a venue provisions for them.
 */
export interface ProductionScale {
  /** Normal load per traffic class at production size, requests per second. */
  normalRatePerS: Record<TrafficClass, RatePerS>;
  /**
   * Clients at production size (each with its own API key and client IP).
   * @asType integer
   * @minimum 1
   */
  clients: number;
  /** The fleet provisioned for normal load, per tier. */
  tiers: Record<TierName, TierSizing>;
  /**
   * Orders the matching sequencer passes per second.
   * @exclusiveMinimum 0
   */
  sequencerOrdersPerS: number;
  /**
   * Waiting requests per tier before shedding.
   * @asType integer
   * @minimum 0
   */
  maxQueue: number;
  /**
   * Position changes a read replica applies per second (the drill's is sized for drill rates).
   * @exclusiveMinimum 0
   */
  replicaApplyPerS: number;
}

/**
 * A burst profile: the shape of load over natural time, as a multiple of each traffic class's
 * normal rate. The built-in library is loadtests/profiles/index.ts; a YAML or JSON file of the
 * same shape is checked against docs/schemas/profile.schema.json, generated from this type.
 */
export interface Profile {
  /**
   * The profile's name: run folders, run.json and reports carry it.
   * @pattern ^[a-z0-9][a-z0-9-]*$
   */
  name: string;
  /** What the profile models, and where its shape comes from. */
  description: string;
  /** Normal load per traffic class, requests per wall second, sized to what a drill can drive here. */
  normalRatePerS: Record<TrafficClass, RatePerS>;
  /**
   * Simulated clients (each with its own API key and client IP).
   * @asType integer
   * @minimum 1
   */
  clients: number;
  /**
   * Time scale the profile is meant to run at (natural seconds per wall second).
   * @exclusiveMinimum 0
   */
  defaultTimeScale: number;
  /**
   * The load over time, in order; the profile lasts the sum of their `durationS`.
   * @minItems 1
   */
  phases: ProfilePhase[];
  /** Faults the capacity model plays, natural seconds from the start. */
  faults?: FaultSpec[];
  /**
   * Price shocks, natural seconds from the start: `{ atS, symbol, movePct, overS }`, e.g. BTCUSDT
   * -12% over 300 s. The venue moves the index and re-quotes the house ladder along them, so
   * stops trigger and the leveraged accounts it opens for them (defaults.ts `leveragedAccounts`)
   * are liquidated by the engine's own rules (mock-exchange/marketEvents.ts). They move prices
   * and cause liquidations in the engine; they add no client load, so the simulators
   * (mock-exchange/simulate), which model no prices, ignore them.
   */
  marketEvents?: MarketEvent[];
  /**
   * The market model (mock-exchange/market/): market makers whose quotes pass the venue's
   * admission, sell-pressure shocks that move prices through the books, collateral valued by
   * `oracle` (the commands' `--oracle` overrides it). Without it the venue quotes the house ladder
   * and follows `marketEvents` alone.
   */
  market?: MarketScenario;
  /** When set, `stampede simulate --scale production` runs at these rates. */
  production?: ProductionScale;
  /**
   * Who sends each class's traffic: per class, behaviours with relative weights
   * (loadtests/lib/behaviours.ts) that split the clients, each client keeping its behaviour
   * (clientBehaviour: a weight of 0.25 is a quarter of the clients, rounded to whole clients). A
   * class without a mix runs its default (order: trader, position: panicked-checker, depth:
   * book-watcher).
   */
  behaviours?: BehaviourMix;
  /** Clients that hold WebSocket streams open, besides the request traffic. */
  watchers?: Watchers;
}

export interface Watchers {
  /**
   * Liquidation-stream watchers (`<symbol>@forceOrder`): connections opened per wall second at
   * normal load (at drill size, like `normalRatePerS`), following the phases' multiple of normal
   * (`from`/`to`, not a class's override), each held `holdS` natural seconds (compressed by the
   * time scale like the phases), counting the liquidation events it receives.
   */
  liquidationStream?: LiquidationStreamWatchers;
}

/** Liquidation-stream watchers' rate and how long each holds its connection. */
export interface LiquidationStreamWatchers {
  /**
   * Connections opened per wall second at normal load (drill size).
   * @minimum 0
   */
  normalPerS: number;
  /**
   * Natural seconds each connection stays open.
   * @exclusiveMinimum 0
   */
  holdS: number;
}
