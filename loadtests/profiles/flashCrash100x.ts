import type { Profile } from "./types.ts";

/**
 * flash-crash-100x: the generic crash shape behind every incident in docs/facts.md "Incident
 * shapes" (Oct 10 2025: trading volume up 100x or more). Normal load, then every class goes to
 * 100x within one natural minute (no time for a reactive autoscaler: instances take minutes), a
 * 20-minute plateau, a 30-minute decay back to normal, and a quiet tail to watch recovery (queues
 * draining, replica lag catching up).
 *
 * Rates match smoke (20 req/s normal, so the 100x plateau is ~2,000 req/s, the most k6 and the
 * mock drive together on this machine). At time scale 30 the natural 71 minutes last ~2.4 wall
 * minutes; the one-minute ramp is 2 wall seconds.
 */
/**
 * Who trades in the crash (loadtests/lib/behaviours.ts; the weights split the clients): takers
 * hitting the book at market (50 of the 100 clients), market makers cancelling and re-posting
 * their quotes (30), ordinary traders (20); position reads as in smoke, a quarter of the clients
 * panicked (their IPs banned for most of the plateau) and the rest patient. 100 clients, like
 * smoke, keep a patient client's IP within reach of its weight budget, so the takers' fills still
 * reach a replica that falls behind (stale reads) and the plateau's p99 still sits on the queue
 * timeout; with every client panicked or 64 clients every IP is banned and both vanish.
 */
export const flashCrash100x: Profile = {
  name: "flash-crash-100x",
  description:
    "10 min normal, every class to 100x within 1 min, 20 min plateau, 30 min decay, 10 min after: ~2.4 wall minutes at time scale 30.",
  normalRatePerS: { order: 6, position: 10, depth: 4 },
  clients: 100,
  defaultTimeScale: 30,
  behaviours: {
    order: { taker: 0.5, "market-maker": 0.3, trader: 0.2 },
    position: { "patient-checker": 0.75, "panicked-checker": 0.25 },
  },
  // The crash's price move, within the same minute as the load (docs/facts.md "Incident shapes":
  // price drop -> liquidation -> forced sell): -10% on both symbols, liquidating the venue's
  // leveraged accounts (defaults.ts leveragedAccounts) whose liquidation prices lie within it.
  marketEvents: [
    { atS: 600, symbol: "BTCUSDT", movePct: -10, overS: 60 },
    { atS: 600, symbol: "ETHUSDT", movePct: -10, overS: 60 },
  ],
  phases: [
    { name: "normal", durationS: 600, from: 1, to: 1 },
    { name: "crash", durationS: 60, from: 1, to: 100 },
    { name: "plateau", durationS: 1_200, from: 100, to: 100 },
    { name: "decay", durationS: 1_800, from: 100, to: 1 },
    { name: "after", durationS: 600, from: 1, to: 1 },
  ],
};
