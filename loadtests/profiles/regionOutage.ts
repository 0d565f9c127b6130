import type { Profile } from "./types.ts";

/**
 * region-outage: the cloud region the venue runs in goes away at a busy moment (AWS us-east-1
 * Oct 20 2025, Apr 2025, Dec 2021; docs/facts.md "Incident shapes"). Load is 10x normal, a busy
 * day rather than a crash; at the outage every instance is gone, clients see errors, and only
 * after a detection delay is the standby region promoted, which then serves at baseline size
 * while the scaling policy (if any) catches up with a 10x load.
 */
export const regionOutage: Profile = {
  name: "region-outage",
  description:
    "10x load; the region fails 20 min into the busy period; failover after 2 min of detection and 4 min of promotion.",
  normalRatePerS: { order: 6, position: 10, depth: 4 },
  clients: 25,
  defaultTimeScale: 60,
  phases: [
    { name: "normal", durationS: 600, from: 1, to: 1 },
    { name: "ramp", durationS: 300, from: 1, to: 10 },
    { name: "busy", durationS: 2_400, from: 10, to: 10 },
    { name: "after", durationS: 600, from: 10, to: 1 },
  ],
  faults: [{ kind: "region-failover", atS: 2_100, detectionDelayS: 120, failoverS: 240 }],
};
