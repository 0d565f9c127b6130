import type { Profile } from "./types.ts";

/**
 * smoke: the shortest drill that shows the whole failure shape, for CI and first runs.
 * One natural hour compressed 60x into one wall minute: normal load, a step to 100x within five
 * minutes (the Oct 10 2025 volume surge, docs/facts.md "Incident shapes"), a plateau long enough
 * for queues, rate limits and replica lag to bite, and the recovery.
 *
 * Normal rates are sized so 100x (~2,000 req/s) is within what k6 and the mock drive together on
 * two cores; the capacity model is sized to the same ratios as a venue provisioned for normal load.
 *
 * Clients and behaviours are chosen so the venue's IP bans (limits/banList.ts: more than 10
 * weight refusals in a one-second compressed minute) fall on the clients that earn them. A
 * quarter of the 100 clients read their position in a panic (panicked-checker: Retry-After
 * ignored, a refused read sent again at once), the rest honour Retry-After and back off
 * (patient-checker); orders and depth reads are every client's defaults, which ignore
 * Retry-After. At 100x a client offers ~70 weight a second against its IP's budget of 40, about
 * as many refusals a window as the trigger tolerates: a panicked client's retries push it over
 * and it is banned again and again, a patient one backs off and stays under. With 25 clients (~280 weight a second each) every IP,
 * patient or not, was banned for most of the burst and the stale reads vanished; with 120 the
 * panicked clients' bans start to depend on chance. Simulated per request (time scale 60,
 * reactive, seed 1): 85% of the panicked clients' requests are answered 418 and 0.1% of the
 * patient ones', 28% of all requests; the burst's p99 sits on the 300 ms queue timeout (135 ms at
 * normal load) and 74% of the read-backs after a fill are stale.
 */
export const smoke: Profile = {
  name: "smoke",
  description: "Normal load, ramp to 100x, plateau, recover: about one wall minute at time scale 60.",
  normalRatePerS: { order: 6, position: 10, depth: 4 },
  clients: 100,
  defaultTimeScale: 60,
  behaviours: { position: { "patient-checker": 0.75, "panicked-checker": 0.25 } },
  phases: [
    { name: "normal", durationS: 600, from: 1, to: 1 },
    { name: "ramp", durationS: 300, from: 1, to: 100 },
    { name: "burst", durationS: 1500, from: 100, to: 100 },
    { name: "recover", durationS: 300, from: 100, to: 1 },
    { name: "after", durationS: 900, from: 1, to: 1 },
  ],
};
