/**
 * Burst profiles are plain data (no k6 import) so the same object drives k6 and, later, the
 * virtual-time simulator (design.md "Data flow"). Times are natural time, in seconds; a drill
 * compresses them by its time scale. Load is a multiple of each class's normal rate.
 */

import type { TrafficClass } from "../../reports/model.ts";

export interface ProfilePhase {
  name: string;
  /** Natural-time length of the phase, seconds. */
  durationS: number;
  /** Multiple of normal load at the start of the phase; the rate ramps linearly to `to`. */
  from: number;
  to: number;
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
}
