import type { Profile } from "./types.ts";

/**
 * liquidation-cascade-2025-10-10: the shape of the 10-11 Oct 2025 crash (docs/facts.md
 * "Incident shapes"; docs/architecture.md "Why it exists").
 *
 * - 20:00-21:00, the heaviest hour (about 31% of the liquidations): order flow steps to 100x
 *   normal within five minutes and position queries to 1000x, as every user checks at once.
 * - 21:00-22:00, lighter (about 22%), the hour API rate limiting began: orders 60x, reads 600x.
 * - 22:00-04:00, six hours of grinding (the remaining 47%): load decays from 40x to 5x.
 *
 * Only the shape is taken from the write-up, not totals. As a drill (time scale 120) it lasts
 * about 4.3 wall minutes at drill-sized rates; `stampede simulate --scale production` runs it at
 * a production venue's size: 1,000 orders/s normal (100k/s at the peak) and 100 position reads/s
 * normal (100k/s at 1000x), on a fleet sized for normal load.
 *
 * Who sends it (loadtests/lib/behaviours.ts; the weights split the 64 clients): order flow is a
 * stop-loss storm (30% of the clients replace a stop, 15% close positions reduce-only and re-enter,
 * 15% take liquidity at market, 40% trade as usual); position reads are panicked checkers, a
 * tenth of the clients honouring Retry-After; and users watch the liquidation stream (0.1
 * connections/s at normal load, following the phases' multiple: 10/s in the crash, each held ten
 * natural minutes), which the venue throttles to one event per symbol per second, so what they
 * see undercounts the cascade. At 1000x each client reads ~16 times a second, twice its IP's
 * weight budget: the panicked clients' IPs are banned (418) for most of the two heavy hours,
 * with everything else those clients send, while the patient ones are rarely banned (simulated
 * at drill size, seed 1: 68% vs 7% of their reads answered 418).
 */
export const liquidationCascade20251010: Profile = {
  name: "liquidation-cascade-2025-10-10",
  description:
    "Oct 10 2025 cascade: 30 min normal, 1 h at 100x orders / 1000x position reads, 1 h at 60x / 600x, 6 h grinding down from 40x to 5x.",
  normalRatePerS: { order: 5, position: 1, depth: 3 },
  clients: 64,
  defaultTimeScale: 120,
  phases: [
    { name: "before", durationS: 1_800, from: 1, to: 1 },
    { name: "crash", durationS: 300, from: 1, to: 100, byClass: { position: { from: 1, to: 1_000 } } },
    {
      name: "first-hour",
      durationS: 3_300,
      from: 100,
      to: 100,
      byClass: { position: { from: 1_000, to: 1_000 } },
    },
    {
      name: "second-hour",
      durationS: 3_600,
      from: 60,
      to: 60,
      byClass: { position: { from: 600, to: 600 } },
    },
    { name: "grind", durationS: 21_600, from: 40, to: 5, byClass: { position: { from: 400, to: 20 } } },
  ],
  behaviours: {
    order: { trader: 0.4, "stop-loss-submitter": 0.3, "reduce-only-closer": 0.15, taker: 0.15 },
    position: { "panicked-checker": 0.9, "patient-checker": 0.1 },
  },
  watchers: { liquidationStream: { normalPerS: 0.1, holdS: 600 } },
  // The price path behind the liquidations (docs/facts.md "Incident shapes": price drop ->
  // liquidation -> forced sell -> price drop; docs/architecture.md "Why it exists"): the drop comes with the
  // crash phase, BTC -12% and ETH (thinner, falls harder) -15% over its five minutes, then a
  // smaller second leg as the second hour opens. The venue's leveraged accounts (defaults.ts
  // leveragedAccounts, liquidation prices 2-15% away) are liquidated along it.
  marketEvents: [
    { atS: 1_800, symbol: "BTCUSDT", movePct: -12, overS: 300 },
    { atS: 1_800, symbol: "ETHUSDT", movePct: -15, overS: 300 },
    { atS: 5_400, symbol: "BTCUSDT", movePct: -4, overS: 600 },
    { atS: 5_400, symbol: "ETHUSDT", movePct: -5, overS: 600 },
  ],
  // The venue's own books (docs/architecture.md "Market model"): makers whose quotes pass the same
  // admission as the clients, stop-loss traders, and sell pressure on the venue itself as the
  // crash opens (leveraged sellers hitting its bids), while the path above moves the external
  // index the makers lean towards. Collateral is valued by a multi-source TWAP (the depeg is
  // collateral-depeg-2025-10-10's): what is liquidated here is the perpetuals' own cascade.
  market: {
    oracle: "index-twap",
    shocks: [
      { atS: 1_800, market: "BTCUSDT", notionalUsdt: 2_000_000, overS: 300 },
      { atS: 1_800, market: "ETHUSDT", notionalUsdt: 1_000_000, overS: 300 },
    ],
  },
  production: {
    normalRatePerS: { order: 1_000, position: 100, depth: 500 },
    clients: 400_000,
    tiers: {
      // Gateway: normal demand 1,000 x 30 ms + 500 x 15 ms = 37.5 busy workers; 4 x 64 = 256 workers (15%).
      gateway: { baselineInstances: 4, concurrencyPerInstance: 64 },
      // Read replicas: 100 x 40 ms = 4 busy workers; 2 x 16 = 32 workers (12.5%).
      read: { baselineInstances: 2, concurrencyPerInstance: 16 },
    },
    // One matching sequencer, well above the 100k/s peak (exchange-core: millions per second).
    sequencerOrdersPerS: 250_000,
    maxQueue: 4_096,
    // About 75x the normal write rate (1,000 orders/s, ~half fill, two positions per fill), the
    // same ratio as the drill's 450/s: replicas keep up with a 60x hour and fall behind at 100x.
    replicaApplyPerS: 75_000,
  },
};
