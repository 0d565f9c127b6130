import type { Profile } from "./types.ts";

/**
 * collateral-depeg-2025-10-10: the collateral dump of the 10 Oct 2025 crash (docs/facts.md
 * "Incident shapes": about $60M sold on one venue's thin USDe book took it from 1.00 to 0.65
 * while it held near 1.00 elsewhere; collateral marked at that venue's own spot price turned it
 * into billions of forced liquidations).
 *
 * Drill-sized: 600k USDT of the venue's synthetic dollar (USDE) sold at market over 15 natural
 * minutes into a spot book whose makers stop buying after 150k each and whose redemption
 * arbitrage bids only from 5% below par (mock-exchange/market/marketConfig.ts MARKET_DEFAULTS),
 * while 30 accounts margined by USDE hold 15M of perpetual longs near maintenance and the
 * venue's leveraged accounts hold 40M more. Run it with each oracle (`--oracle`, or `stampede
 * compare --oracles internal-spot,index-twap,conversion-rate`): under `internal-spot` the dump is
 * the margin's price, so the collateral accounts are liquidated, their USDE is sold into the same
 * book and their longs into the perpetuals' books, which takes the leveraged longs with them;
 * under `index-twap` or `conversion-rate` the same dump moves no margin.
 *
 * Load: the crash's shape around the dump (orders 100x, position reads 1000x, then easing), with
 * the stop-loss storm of liquidation-cascade-2025-10-10. Time scale 30: 40 natural minutes in
 * 80 wall seconds.
 */
export const collateralDepeg20251010: Profile = {
  name: "collateral-depeg-2025-10-10",
  description:
    "Oct 10 2025 USDe-style depeg: 600k of a synthetic dollar dumped over 15 min on the venue's thin spot book while orders run 100x and position reads 1000x; compare --oracles.",
  normalRatePerS: { order: 5, position: 1, depth: 3 },
  clients: 64,
  defaultTimeScale: 30,
  phases: [
    { name: "before", durationS: 300, from: 1, to: 1 },
    { name: "depeg", durationS: 900, from: 20, to: 100, byClass: { position: { from: 100, to: 1_000 } } },
    { name: "after", durationS: 1_200, from: 60, to: 10, byClass: { position: { from: 600, to: 50 } } },
  ],
  behaviours: {
    order: { trader: 0.4, "stop-loss-submitter": 0.3, "reduce-only-closer": 0.15, taker: 0.15 },
    position: { "panicked-checker": 0.9, "patient-checker": 0.1 },
  },
  market: {
    oracle: "internal-spot",
    shocks: [{ atS: 300, market: "USDEUSDT", notionalUsdt: 600_000, overS: 900 }],
  },
};
