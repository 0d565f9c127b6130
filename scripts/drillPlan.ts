import { classMeanRequestsPerIteration, classRequestsPerIteration } from "../loadtests/lib/behaviours.ts";
import {
  drillRequestBudgetS,
  naturalDurationS,
  planDrill,
  scaleRates,
  validateProfile,
} from "../loadtests/lib/plan.ts";
import type { Profile } from "../loadtests/profiles/types.ts";
import { StampedeError } from "../loadtests/vocabulary/cliErrors.ts";
import type { OracleMode } from "../loadtests/vocabulary/market.ts";
import type { TrafficClass } from "../loadtests/vocabulary/traffic.ts";
import type { ExchangeConfig } from "../mock-exchange/defaults.ts";
import { TRAFFIC_CLASSES } from "../reports/model.ts";
import { exchangeConfigFor, VENUE_SYMBOL_NAMES } from "./exchangeConfig.ts";
import type { ProfileSource, ResolvedProfile } from "./profileSource.ts";
import { type CheckedTarget, checkTarget, type TargetOptions } from "./target.ts";
import type { LoadedVenue } from "./venue.ts";

/**
 * Everything a drill decides from its arguments alone, each argument checked: the profile, the
 * scales, the venue's config, the plan and the target's safety. Pure and quick, so the CLI runs
 * it before it looks for (or builds) k6: a bad argument is a usage error (exit 2) whatever the
 * state of the machine, never a k6 error.
 */

export interface DrillArgs {
  /** The profile, resolved from `--profile NAME|FILE` (profileSource.ts). */
  profile: ResolvedProfile;
  timeScale?: number | undefined;
  durationS?: number | undefined;
  rateScale?: number | undefined;
  seed: number;
  strategy: string;
  /** `--oracle`: how the market model values collateral; default the profile's (needs its `market`). */
  oracle?: OracleMode | undefined;
  generators?: number | undefined;
  target?: TargetOptions | undefined;
  /** `--venue FILE`: configures the mock the drill starts (a --target is configured by its own `serve --venue`). */
  venue?: LoadedVenue | undefined;
}

export interface PreparedDrill {
  profile: Profile;
  /** Where the profile came from (run.json records it). */
  profileSource: ProfileSource;
  rateScale: number;
  generators: number;
  /** Natural seconds the profile spans, and natural seconds per wall second. */
  naturalS: number;
  timeScale: number;
  config: ExchangeConfig;
  requestBudgetS: number;
  plan: ReturnType<typeof planDrill>;
  /** Requests per second at the peak on average (mean requests per iteration), all classes. */
  peakMeanRps: number;
  target: CheckedTarget | undefined;
  venue: LoadedVenue | undefined;
}

export function prepareDrill(opts: DrillArgs): PreparedDrill {
  const { profile, source: profileSource } = opts.profile;
  if (opts.rateScale !== undefined && !(opts.rateScale > 0 && Number.isFinite(opts.rateScale)))
    throw new StampedeError("E_USAGE", "--rate-scale must be a number > 0");
  const rateScale = opts.rateScale ?? 1;
  const problems = validateProfile(profile, VENUE_SYMBOL_NAMES);
  if (problems.length > 0)
    throw new StampedeError("E_BAD_PROFILE", `profile ${profile.name} is invalid: ${problems.join("; ")}`);
  const naturalS = naturalDurationS(profile);
  if (opts.durationS !== undefined && !(opts.durationS >= 5))
    throw new StampedeError("E_USAGE", "--duration must be at least 5 seconds");
  if (opts.timeScale !== undefined && !(opts.timeScale > 0))
    throw new StampedeError("E_USAGE", "--time-scale must be > 0");
  if (!Number.isInteger(opts.seed)) throw new StampedeError("E_USAGE", "--seed must be an integer");
  const generators = opts.generators ?? 1;
  if (!(Number.isInteger(generators) && generators >= 1))
    throw new StampedeError("E_USAGE", "--generators must be an integer >= 1");
  const timeScale =
    opts.durationS !== undefined ? naturalS / opts.durationS : (opts.timeScale ?? profile.defaultTimeScale);

  if (opts.venue !== undefined && opts.target !== undefined)
    throw new StampedeError(
      "E_USAGE",
      "--venue configures the mock a drill starts; a --target is configured where it runs (`stampede serve --venue FILE`)",
    );
  const config = exchangeConfigFor(profile, {
    timeScale,
    seed: opts.seed,
    strategy: opts.strategy,
    scale: "drill",
    venue: opts.venue?.file,
    oracle: opts.oracle,
  });
  const requestBudgetS = drillRequestBudgetS(config.capacity);
  const plan = planDrill(scaleRates(profile, rateScale), { timeScale, requestBudgetS });

  // Checked before anything is sent: an iteration may send several requests (an order and its
  // read-back, a closer's read, close and read-back), so each class counts its most.
  const peakRps = (requestsPerIteration: (cls: TrafficClass) => number) =>
    TRAFFIC_CLASSES.reduce((sum, cls) => sum + plan.classes[cls].peakRatePerS * requestsPerIteration(cls), 0);
  const peakTotalRps = peakRps((cls) => classRequestsPerIteration(profile.behaviours, cls));
  const target = opts.target === undefined ? undefined : checkTarget(opts.target, peakTotalRps);
  // What the peak costs the cores on average (k6Collector.ts): each class its mean.
  const peakMeanRps = peakRps((cls) =>
    classMeanRequestsPerIteration(profile.behaviours, cls, profile.clients),
  );
  return {
    profile,
    profileSource,
    rateScale,
    generators,
    naturalS,
    timeScale,
    config,
    requestBudgetS,
    plan,
    peakMeanRps,
    target,
    venue: opts.venue,
  };
}
