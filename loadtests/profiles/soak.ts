import type { Profile } from "./types.ts";

/**
 * soak: an hour at 3x normal, a busy day rather than a crash, for leaks and drift: memory of k6
 * and the mock, latency creeping up, replica lag that never quite recovers, rate-limit state
 * that accumulates. No incident of its own: it is the baseline that tells a crash's damage from
 * a venue that degrades under any sustained load.
 *
 * Rates match smoke (20 req/s normal, 60 req/s at 3x, well inside the default capacity). At its
 * default time scale 15 the hour lasts ~4.7 wall minutes; for a real soak (wall-clock leaks)
 * run it with `--time-scale 1`.
 */
export const soak: Profile = {
  name: "soak",
  description: "5 min ramp to 3x, one hour at 3x, 5 min back to normal: ~4.7 wall minutes at time scale 15.",
  normalRatePerS: { order: 6, position: 10, depth: 4 },
  clients: 64,
  defaultTimeScale: 15,
  phases: [
    { name: "ramp", durationS: 300, from: 1, to: 3 },
    { name: "soak", durationS: 3_600, from: 3, to: 3 },
    { name: "cool-down", durationS: 300, from: 3, to: 1 },
  ],
};
