import type { BehaviourName } from "../../loadtests/lib/behaviours.ts";
import type { Profile } from "../../loadtests/profiles/types.ts";
import type { TimelinePoint } from "../../loadtests/vocabulary/runFolder.ts";
import type { RejectReason, TrafficClass } from "../../loadtests/vocabulary/traffic.ts";
import type { ExchangeConfig } from "../defaults.ts";

/** What one simulation plays: the profile at a size, against one exchange configuration. */
export interface SimulationInput {
  profile: Profile;
  config: ExchangeConfig;
  /** Normal rate per class at the chosen size, requests per (virtual) wall second. */
  normalRatePerS: Record<TrafficClass, number>;
  /** Simulated clients, each with its own key and IP (the k6 script uses the profile's `clients`). */
  clients: number;
  /** Natural seconds per virtual wall second (1 = the profile's own clock). */
  timeScale: number;
  /** Virtual wall seconds the profile lasts at this time scale. */
  durationS: number;
  seed: number;
}

/**
 * Where a simulation puts what it observed: the client's view (what k6 would have recorded)
 * and the server's timeline. Times are virtual wall ms since the start.
 */
export interface SimulationSink {
  /** n responses of a class in the second containing tMs, each taking latencyMs; reason when refused. */
  record(
    tMs: number,
    cls: TrafficClass,
    latencyMs: number,
    n: number,
    reason: RejectReason | undefined,
  ): void;
  /** Read-your-writes checks: `checked` read-backs, of which `stale` saw an older state, the stale ones aged ageMs. */
  stale(tMs: number, checked: number, stale: number, ageMs: number): void;
  timeline(point: TimelinePoint): void;
  /**
   * Optional: n responses to requests a behaviour's clients sent (read-backs counted with the
   * behaviour whose fill they follow), `reason` when refused: what a drill's `behaviour` tag
   * splits. Aggregate simulations report fractional counts.
   */
  behaviour?(name: BehaviourName, reason: RejectReason | undefined, n: number): void;
}
