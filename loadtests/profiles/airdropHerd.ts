import type { Profile } from "./types.ts";

/**
 * airdrop-herd: Optimism, June 2024 (docs/facts.md "Incident shapes"): about 250,000 addresses
 * claimed an airdrop at the same moment and overloaded the sequencer for hours. The herd hits one
 * endpoint: here the position read (the "claim" / "is it there yet?" check), 250x normal within a
 * minute and held for five minutes, then draining over ten; orders and depth reads stay at normal
 * load, so the spike is one class's and the report's per-class latency shows who paid for it
 * (position reads share the read tier; orders do not).
 *
 * Position reads are 6/s normal, so the herd is 1,500/s and the whole drill peaks at ~1,510 req/s.
 * The drill has 250 clients (own API key and client IP each), so per-IP and per-account limits
 * act per member of the herd. At time scale 15 the natural 36 minutes last ~2.4 wall minutes.
 */
/**
 * The herd is panicked checkers (loadtests/lib/behaviours.ts; the weights split the clients): 200
 * of the 250 read again whatever the venue answers, 50 honour Retry-After and skip while told to
 * wait (stampede_backoff_skips). Few are told to wait here, and none is banned: at 250x each of the 250 clients reads 6 times a second, inside its IP budget
 * (2,400 weight a minute is 8 reads a second), so the herd is refused by the read tier's queue
 * (503 timeouts, which carry no Retry-After), not by the rate limit: back-off does not save a
 * venue from a herd that stays within its limits.
 */
export const airdropHerd: Profile = {
  name: "airdrop-herd",
  description:
    "Optimism Jun 2024: position/claim reads jump to 250x within 1 min, hold 5 min, drain over 10 min; orders and depth stay normal. ~2.4 wall minutes at time scale 15.",
  normalRatePerS: { order: 6, position: 6, depth: 4 },
  clients: 250,
  defaultTimeScale: 15,
  behaviours: { position: { "panicked-checker": 0.8, "patient-checker": 0.2 } },
  phases: [
    { name: "before", durationS: 600, from: 1, to: 1 },
    { name: "herd", durationS: 60, from: 1, to: 1, byClass: { position: { from: 1, to: 250 } } },
    { name: "claim", durationS: 300, from: 1, to: 1, byClass: { position: { from: 250, to: 250 } } },
    { name: "drain", durationS: 600, from: 1, to: 1, byClass: { position: { from: 250, to: 1 } } },
    { name: "after", durationS: 600, from: 1, to: 1 },
  ],
};
