import { PROFILES } from "../loadtests/profiles/index.ts";
import type { Profile } from "../loadtests/profiles/types.ts";
import { StampedeError } from "../loadtests/vocabulary/cliErrors.ts";
import type { OracleMode } from "../loadtests/vocabulary/market.ts";
import { resolveStrategy } from "../mock-exchange/capacity/strategies.ts";
import { EXCHANGE_DEFAULTS, type ExchangeConfig } from "../mock-exchange/defaults.ts";
import { MARKET_DEFAULTS, type MarketConfig } from "../mock-exchange/market/marketConfig.ts";
import { applyVenueFile, type VenueFile } from "../mock-exchange/venueFile.ts";

/**
 * The exchange a profile is played against, at drill size or production size (docs/architecture.md "Two
 * clocks, two sizes"). One function for the drill and the simulator, so both model the same
 * venue; run.json records the result.
 */

export type Scale = "drill" | "production";

/**
 * Names of the symbols the venue lists: a profile's market events must name one of them
 * (loadtests/lib/plan.ts validateProfile is told them, since k6 loads it and it knows no venue).
 */
export const VENUE_SYMBOL_NAMES: readonly string[] = EXCHANGE_DEFAULTS.symbols.map((s) => s.symbol);

/*
 * IP bans (mock-exchange/limits/banList.ts) are the venue's own: drills and their simulations
 * run with EXCHANGE_DEFAULTS.limits, trigger included. Clients that ignore Retry-After
 * (panicked-checker, and every order and depth behaviour) keep sending after their 429s and are
 * banned (418) once their IP collects more refusals in a weight window than the trigger allows;
 * behaviour belongs to the client (loadtests/lib/behaviours.ts clientBehaviour), so a ban falls
 * on one kind of client. A profile sets how hard that bites through its clients: the load per
 * client IP against the IP's budget (loadtests/profiles/smoke.ts).
 */

export interface ExchangeConfigOptions {
  timeScale: number;
  seed: number;
  /** The command's --strategy; undefined: the venue file's, else the default. */
  strategy: string | undefined;
  scale: Scale;
  /** `--venue FILE` (scripts/venue.ts loadVenue): the user's venue; its values win over the defaults and the profile's production size. */
  venue?: VenueFile | undefined;
  /** The command's --oracle; undefined: the profile's. Needs a profile with `market`. */
  oracle?: OracleMode | undefined;
}

/** The strategy a run uses: the command's, else the venue file's, else the default. */
export function strategyFor(strategy: string | undefined, venue: VenueFile | undefined): string {
  return strategy ?? venue?.capacity?.strategy ?? EXCHANGE_DEFAULTS.capacity.strategy;
}

export function exchangeConfigFor(profile: Profile, opts: ExchangeConfigOptions): ExchangeConfig {
  let capacity = { ...EXCHANGE_DEFAULTS.capacity };
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
  let base: ExchangeConfig = { ...EXCHANGE_DEFAULTS, capacity, replica };
  if (opts.venue !== undefined) base = applyVenueFile(base, opts.venue);
  // A venue file may pin the schedule; otherwise it follows the profile's burst.
  const scheduledAtS = opts.venue?.capacity?.strategyParams?.scheduledAtS ?? scheduledLaunchS(profile);
  capacity = {
    ...base.capacity,
    strategy: strategyFor(opts.strategy, opts.venue),
    strategyParams: { ...base.capacity.strategyParams, scheduledAtS },
  };
  try {
    resolveStrategy(capacity.strategy, capacity.tiers, capacity.strategyParams);
  } catch (err) {
    throw new StampedeError("E_UNKNOWN_STRATEGY", (err as Error).message);
  }
  return {
    ...base,
    timeScale: opts.timeScale,
    seed: opts.seed,
    trustProxy: true,
    accounts,
    capacity,
    faults: profile.faults ?? [],
    marketEvents: profile.marketEvents ?? [],
    market: marketConfigFor(profile, opts.oracle),
  };
}

/** The library's profiles that run the market model. */
function withMarket(): string[] {
  return Object.values(PROFILES)
    .filter((p) => p.market !== undefined)
    .map((p) => p.name);
}

/** The market model a profile asks for, with the command's oracle; an oracle without one is a usage error. */
export function marketConfigFor(profile: Profile, oracle: OracleMode | undefined): MarketConfig | undefined {
  const market = profile.market;
  if (market === undefined) {
    if (oracle !== undefined)
      throw new StampedeError(
        "E_USAGE",
        `profile ${profile.name} has no market model (no \`market\`), so --oracle has nothing to value; profiles with one: ${withMarket().join(", ")}`,
      );
    return undefined;
  }
  return { ...MARKET_DEFAULTS, oracle: oracle ?? market.oracle, shocks: market.shocks };
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
