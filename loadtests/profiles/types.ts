/**
 * Burst profiles are plain data (no k6 import) so the same object drives k6 and, later, the
 * virtual-time simulator (docs/architecture.md "Data flow"). Times are natural time, in seconds; a drill
 * compresses them by its time scale. Load is a multiple of each class's normal rate.
 */

import type { BehaviourMix } from "../lib/behaviours.ts";
import type { FaultSpec, TierName, TierSizing } from "../vocabulary/capacity.ts";
import type { MarketEvent } from "../vocabulary/marketEvents.ts";
import type { TrafficClass } from "../vocabulary/traffic.ts";

export interface ProfilePhase {
  name: string;
  /** Natural-time length of the phase, seconds. */
  durationS: number;
  /** Multiple of normal load at the start of the phase; the rate ramps linearly to `to`. */
  from: number;
  to: number;
  /**
   * Classes whose multiple differs from `from`/`to` in this phase (the Oct-10 cascade: orders
   * 100x, position reads 1000x normal).
   */
  byClass?: Partial<Record<TrafficClass, { from: number; to: number }>>;
}

/**
 * The same profile at production size, for the simulator (docs/architecture.md "Two clocks, two sizes"):
 * absolute normal rates and the fleet a venue provisions for them.
 */
export interface ProductionScale {
  normalRatePerS: Record<TrafficClass, number>;
  clients: number;
  tiers: Record<TierName, TierSizing>;
  sequencerOrdersPerS: number;
  /** Waiting requests per tier before shedding. */
  maxQueue: number;
  /** Position changes a read replica applies per second (the drill's is sized for drill rates). */
  replicaApplyPerS: number;
}

export interface Profile {
  name: string;
  /** What the profile models, and where its shape comes from. */
  description: string;
  /** Normal load per traffic class, requests per wall second, sized to what a drill can drive here. */
  normalRatePerS: Record<TrafficClass, number>;
  /** Simulated clients (each with its own API key and client IP). */
  clients: number;
  /** Time scale the profile is meant to run at (natural seconds per wall second). */
  defaultTimeScale: number;
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
  liquidationStream?: { normalPerS: number; holdS: number };
}
