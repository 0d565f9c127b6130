import type { Profile } from "./types.ts";

/**
 * spam-flood: Solana, September 2024 (docs/facts.md "Incident shapes"): cheap transaction spam
 * starved the vote transactions (the priority traffic) and halted the chain for 4-5 hours. Here
 * the cheap spam is order flow: orders (new orders and cancels) at 50x normal for three natural
 * hours while position and depth reads stay at normal load. Under `fixed` or `reactive` the
 * gateway queue fills with spam and everything waiting behind it (cancels, depth reads) times out or is
 * shed; with `+priority-shedding` the low-priority flood is shed first. Run it with and without
 * (`stampede compare`) to see whether priority shedding keeps the other classes served.
 *
 * Orders are 6/s normal (as in smoke), so the flood is 300 orders/s, about three times what the
 * default gateway serves; the drill peaks at ~314 req/s. At time scale 60 the natural 3.5 hours
 * last ~3.5 wall minutes.
 */
/**
 * The spam is quote stuffing (loadtests/lib/behaviours.ts; the weights split the clients): 70% of
 * the clients are market makers cancelling and re-posting post-only quotes near the touch (a
 * cancel and a new order each, neither filling at once), 30% ordinary traders. Priority shedding
 * sheds the new quotes first; every cancel, the spammers' own included, is priority traffic. New
 * orders weigh nothing on the IP budget, so the spammers stay within it and are never banned.
 */
export const spamFlood: Profile = {
  name: "spam-flood",
  description:
    "Solana Sep 2024: orders 50x for 3 h (cheap spam) while reads stay normal; shows what priority shedding protects. ~3.5 wall minutes at time scale 60.",
  normalRatePerS: { order: 6, position: 10, depth: 4 },
  clients: 64,
  defaultTimeScale: 60,
  behaviours: { order: { "market-maker": 0.7, trader: 0.3 } },
  phases: [
    { name: "normal", durationS: 600, from: 1, to: 1 },
    { name: "onset", durationS: 120, from: 1, to: 1, byClass: { order: { from: 1, to: 50 } } },
    { name: "spam", durationS: 10_800, from: 1, to: 1, byClass: { order: { from: 50, to: 50 } } },
    { name: "stop", durationS: 300, from: 1, to: 1, byClass: { order: { from: 50, to: 1 } } },
    { name: "after", durationS: 900, from: 1, to: 1 },
  ],
};
