import { validateProfile } from "../loadtests/lib/plan.ts";
import { StampedeError } from "../loadtests/vocabulary/cliErrors.ts";
import type { OracleMode } from "../loadtests/vocabulary/market.ts";
import { resolveStrategy } from "../mock-exchange/capacity/strategies.ts";
import { EXCHANGE_DEFAULTS, type ExchangeConfig } from "../mock-exchange/defaults.ts";
import { applyVenueFile } from "../mock-exchange/venueFile.ts";
import { exchangeConfigFor, strategyFor, VENUE_SYMBOL_NAMES } from "./exchangeConfig.ts";
import type { ResolvedProfile } from "./profileSource.ts";
import type { LoadedVenue } from "./venue.ts";

/**
 * The venue `stampede serve` runs, from its options, each checked here at the edge:
 * - `--profile P`: the venue a drill of P meets (exchangeConfigFor: its time scale, accounts,
 *   faults, market events), so a client developer can meet the drill's venue by hand;
 * - `--strategy S`: the provisioning strategy of the capacity model;
 * - `--oracle MODE` (with `--profile`, one with a market model): how that market values collateral;
 * - `--capacity unlimited`: the capacity model off (defaults.ts `capacity.enabled` false): every
 *   admitted request is executed at once, so one client's burst meets the weight limit (429
 *   -1003, then 418 bans for an IP that keeps going) as it would on the real venue, instead of
 *   queue timeouts (503 -1007) that a single client never causes there. The limits, bans, order
 *   counters, engine and replica are unchanged; the strategy and the faults (both act through
 *   the capacity model) then have no effect, which `notes` says.
 */

export const CAPACITY_MODES = ["modelled", "unlimited"] as const;
export type CapacityMode = (typeof CAPACITY_MODES)[number];

export interface ServeOptions {
  /** The profile, resolved from `--profile NAME|FILE` (profileSource.ts). */
  profile?: ResolvedProfile | undefined;
  strategy?: string | undefined;
  /** `--oracle`: the profile's market model's oracle mode; undefined: the profile's own. */
  oracle?: OracleMode | undefined;
  capacity: CapacityMode;
  seed: number;
  trustProxy: boolean;
  /** `--venue FILE`, loaded and validated: the venue's capacity, strategies, replica and limits. */
  venue?: LoadedVenue | undefined;
}

export interface ServeConfig {
  config: ExchangeConfig;
  /** What the operator should know about the combination asked for (printed on stderr). */
  notes: string[];
}

export function serveConfig(opts: ServeOptions): ServeConfig {
  if (!Number.isInteger(opts.seed)) throw new StampedeError("E_USAGE", "--seed must be an integer");
  if (!(CAPACITY_MODES as readonly string[]).includes(opts.capacity))
    throw new StampedeError(
      "E_USAGE",
      `--capacity must be one of ${CAPACITY_MODES.join(", ")}, got ${JSON.stringify(opts.capacity)}`,
    );
  const strategy = strategyFor(opts.strategy, opts.venue?.file);
  if (opts.oracle !== undefined && opts.profile === undefined)
    throw new StampedeError(
      "E_USAGE",
      "--oracle values the collateral of a profile's market model: it needs --profile (one with `market`)",
    );
  let config: ExchangeConfig;
  if (opts.profile !== undefined) {
    const { profile } = opts.profile;
    const problems = validateProfile(profile, VENUE_SYMBOL_NAMES);
    if (problems.length > 0)
      throw new StampedeError("E_BAD_PROFILE", `profile ${profile.name} is invalid: ${problems.join("; ")}`);
    config = exchangeConfigFor(profile, {
      timeScale: profile.defaultTimeScale,
      seed: opts.seed,
      strategy,
      scale: "drill",
      venue: opts.venue?.file,
      oracle: opts.oracle,
    });
  } else {
    const base =
      opts.venue === undefined ? EXCHANGE_DEFAULTS : applyVenueFile(EXCHANGE_DEFAULTS, opts.venue.file);
    config = { ...base, seed: opts.seed, capacity: { ...base.capacity, strategy } };
  }
  try {
    resolveStrategy(strategy, config.capacity.tiers, config.capacity.strategyParams);
  } catch (err) {
    // resolveStrategy's message names the known strategies.
    throw new StampedeError("E_UNKNOWN_STRATEGY", (err as Error).message);
  }
  // Who may claim another client IP through X-Forwarded-For is the operator's call, not the profile's.
  config = { ...config, trustProxy: opts.trustProxy };
  const notes: string[] = [];
  if (opts.capacity === "unlimited") {
    config = { ...config, capacity: { ...config.capacity, enabled: false } };
    if (opts.strategy !== undefined)
      notes.push(`--capacity unlimited: the strategy ${strategy} has no effect (no capacity model runs)`);
    if (config.faults.length > 0)
      notes.push(
        `--capacity unlimited: the profile's ${config.faults.length} fault(s) have no effect (they act through the capacity model)`,
      );
  }
  return { config, notes };
}
