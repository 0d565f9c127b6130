import type { Profile } from "../loadtests/profiles/types.ts";
import { resolveStrategy } from "../mock-exchange/capacity/strategies.ts";
import { EXCHANGE_DEFAULTS, type ExchangeConfig } from "../mock-exchange/defaults.ts";
import { StampedeError } from "./errors.ts";

/**
 * The exchange a profile is played against, at drill size or production size (design.md "Two
 * clocks, two sizes"). One function for the drill and the simulator, so both model the same
 * venue; run.json records the result.
 */

export type Scale = "drill" | "production";

/**
 * The IP-ban trigger drills run with: out of reach. A drill's clients (loadtests/drill.ts) never
 * honour Retry-After, so at the venue's trigger (EXCHANGE_DEFAULTS.limits, limits/banList.ts)
 * every client of a 100x profile is banned for most of the burst, escalating 2, 4, 8, 16 natural
 * minutes: in the per-request simulation of smoke ~93% of all requests become instant 418s, the
 * burst's p99 falls below normal load's, stale reads vanish and the strategies become
 * indistinguishable. Until the drill's clients back off, drills and their simulations measure
 * the capacity model behind the weight and order limits; delete this override to ban them.
 */
export const DRILL_BAN_AFTER_REFUSALS_PER_MINUTE = 1e12;

export interface ExchangeConfigOptions {
  timeScale: number;
  seed: number;
  strategy: string;
  scale: Scale;
}

export function exchangeConfigFor(profile: Profile, opts: ExchangeConfigOptions): ExchangeConfig {
  let capacity = {
    ...EXCHANGE_DEFAULTS.capacity,
    strategy: opts.strategy,
    strategyParams: { scheduledAtS: scheduledLaunchS(profile) },
  };
  let accounts = Math.max(EXCHANGE_DEFAULTS.accounts, profile.clients);
  let replica = EXCHANGE_DEFAULTS.replica;
  if (opts.scale === "production") {
    const production = profile.production;
    if (production === undefined)
      throw new StampedeError(
        "E_USAGE",
        `profile ${profile.name} has no production scale; use --scale drill`,
      );
    capacity = {
      ...capacity,
      tiers: production.tiers,
      sequencerOrdersPerS: production.sequencerOrdersPerS,
      maxQueue: production.maxQueue,
    };
    accounts = production.clients;
    replica = { ...replica, applyPerS: production.replicaApplyPerS };
  }
  try {
    resolveStrategy(capacity.strategy, capacity.tiers, capacity.strategyParams);
  } catch (err) {
    throw new StampedeError("E_UNKNOWN_STRATEGY", (err as Error).message);
  }
  return {
    ...EXCHANGE_DEFAULTS,
    timeScale: opts.timeScale,
    seed: opts.seed,
    trustProxy: true,
    accounts,
    limits: { ...EXCHANGE_DEFAULTS.limits, banAfterRefusalsPerMinute: DRILL_BAN_AFTER_REFUSALS_PER_MINUTE },
    capacity,
    replica,
    faults: profile.faults ?? [],
  };
}

/** Normal rates per class at the chosen size. */
export function normalRatesFor(profile: Profile, scale: Scale): Profile["normalRatePerS"] {
  if (scale === "production" && profile.production !== undefined) return profile.production.normalRatePerS;
  return profile.normalRatePerS;
}

/**
 * When `scheduled` launches its pre-scale: early enough that boot and warm-up (210 s) end before
 * the first phase whose load rises above normal, as an operator would plan a known event.
 */
export function scheduledLaunchS(profile: Profile): number {
  const leadS = 300;
  let startS = 0;
  for (const p of profile.phases) {
    const peak = Math.max(p.from, p.to, ...Object.values(p.byClass ?? {}).map((m) => Math.max(m.from, m.to)));
    if (peak > 1) return Math.max(0, startS - leadS);
    startS += p.durationS;
  }
  return 0;
}
