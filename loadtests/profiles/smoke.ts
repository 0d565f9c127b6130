import type { Profile } from "./types.ts";

/**
 * smoke: the shortest drill that shows the whole failure shape, for CI and first runs.
 * One natural hour compressed 60x into one wall minute: normal load, a step to 100x within five
 * minutes (the Oct 10 2025 volume surge, reference.md "Incident shapes"), a plateau long enough
 * for queues, rate limits and replica lag to bite, and the recovery.
 *
 * Normal rates are sized so 100x (~2,000 req/s) is within what k6 and the mock drive together on
 * two cores; the capacity model is sized to the same ratios as a venue provisioned for normal load.
 */
export const smoke: Profile = {
  name: "smoke",
  description: "Normal load, ramp to 100x, plateau, recover: about one wall minute at time scale 60.",
  normalRatePerS: { order: 6, position: 10, depth: 4 },
  clients: 25,
  defaultTimeScale: 60,
  phases: [
    { name: "normal", durationS: 600, from: 1, to: 1 },
    { name: "ramp", durationS: 300, from: 1, to: 100 },
    { name: "burst", durationS: 1500, from: 100, to: 100 },
    { name: "recover", durationS: 300, from: 100, to: 1 },
    { name: "after", durationS: 900, from: 1, to: 1 },
  ],
};
