import type { Profile } from "../loadtests/profiles/types.ts";
import { startVenueServer } from "../mock-exchange/api/server.ts";
import type { ExchangeConfig } from "../mock-exchange/defaults.ts";
import type { MarketConfig } from "../mock-exchange/market/marketConfig.ts";
import { ControlPlane, LeaseKeeper, probeDialect, type VenueIdentity } from "./controlPlane.ts";
import { StampedeError } from "./errors.ts";
import { apiKeysFromEnv, type CheckedTarget } from "./target.ts";

/**
 * The venue a drill loads: the mock exchange started in this process, or an external target
 * (a staging venue, a testnet, `stampede serve` elsewhere), with the drill's lease on it.
 */

/** What a drill loads: the mock exchange started here, or an external target. */
export interface DrillVenue {
  url: string;
  /** The exchange's configuration when known (ours, or the target's control plane's). */
  config: unknown;
  /** The venue's control plane, when it has one. */
  control: ControlPlane | undefined;
  /** Holds the drill's lease on the venue and watches for a reset it did not make. */
  keeper: LeaseKeeper | undefined;
  /** The venue's control token. */
  token: string | undefined;
  /** Write the token to the run folder (the drill's own mock only). */
  tokenFile: boolean;
  keys: Array<{ apiKey: string; apiSecret: string }>;
  close(): Promise<void>;
}

/**
 * Opens the drill's venue: the mock (with `config`) without a target, else the target. Called
 * before the run folder exists, so a target that redirects, refuses the connection, wants a token
 * or is leased by another drill leaves no folder behind.
 */
export function openVenue(
  target: CheckedTarget | undefined,
  config: ExchangeConfig,
  profile: Profile,
  strategy: string,
  timeScale: number,
  log: (line: string) => void,
): Promise<DrillVenue> {
  return target === undefined
    ? startOwnExchange(config, log)
    : openTarget(target.baseUrl, profile, strategy, timeScale, log, config.market);
}

/** Releases the lease and closes the venue (stops the mock; a target stays up). */
export async function closeVenue(exchange: DrillVenue): Promise<void> {
  await exchange.keeper?.stop();
  await exchange.close();
}

/**
 * The venue's secrets for k6's environment, never argv or run.json: the first `clients` accounts'
 * keys (STAMPEDE_API_KEYS), read from the venue's control plane, or a venue's own keys when it has
 * none. k6 then needs no control token. Keys in the environment are one string every VU shares;
 * in setup()'s data k6 would decode them again in each VU (loadtests/drillRequests.ts SetupData).
 */
export async function venueEnv(
  exchange: Pick<DrillVenue, "url" | "control" | "keys">,
  clients: number,
): Promise<Record<string, string>> {
  const keysOf = (keys: ReadonlyArray<{ apiKey: string; apiSecret: string }>) =>
    keys.map((k) => `${k.apiKey}:${k.apiSecret}`).join(",");
  if (exchange.control !== undefined) {
    const accounts = (await exchange.control.accounts()).slice(0, clients);
    if (accounts.length === 0)
      throw new StampedeError("E_EXCHANGE_FAILED", `the venue at ${exchange.url} has no accounts`);
    return { STAMPEDE_API_KEYS: keysOf(accounts) };
  }
  return { STAMPEDE_CONTROL_PLANE: "0", STAMPEDE_API_KEYS: keysOf(exchange.keys) };
}

/** The mock exchange in this process, with a fresh random token; the drill leases it like any venue. */
async function startOwnExchange(config: ExchangeConfig, log: (line: string) => void): Promise<DrillVenue> {
  const mock = await startVenueServer({ config }).catch((err: Error) => {
    throw new StampedeError("E_EXCHANGE_FAILED", `mock exchange did not start: ${err.message}`);
  });
  try {
    const control = new ControlPlane(mock.url, mock.controlToken);
    const lease = await control.takeLease();
    return {
      url: mock.url,
      config,
      control,
      keeper: new LeaseKeeper(control, lease, lease.ttlMs, log),
      token: mock.controlToken,
      tokenFile: true,
      keys: [],
      close: () => mock.close(),
    };
  } catch (err) {
    await mock.close();
    throw err;
  }
}

/**
 * An external target. Its dialect is probed first (GET /fapi/v1/ping, no redirect followed), so
 * a venue that sends its traffic elsewhere is refused before k6 starts. When its control plane
 * answers (a `stampede serve` elsewhere, token from STAMPEDE_CONTROL_TOKEN), the drill leases
 * it, resets it with the drill's strategy and faults and reads accounts and the timeline from
 * it; otherwise keys come from the environment and everything the venue does not offer is skipped.
 */
async function openTarget(
  baseUrl: string,
  profile: Profile,
  strategy: string,
  timeScale: number,
  log: (line: string) => void,
  market: MarketConfig | undefined,
): Promise<DrillVenue> {
  await probeDialect(baseUrl);
  const token = process.env.STAMPEDE_CONTROL_TOKEN?.trim() || undefined;
  const control = new ControlPlane(baseUrl, token);
  const probe = await control.probe();
  if (probe.kind === "present") {
    const served = probe.config as ExchangeConfig;
    const lease = await control.takeLease();
    let identity: VenueIdentity;
    try {
      identity = await control.reset({
        strategy,
        faults: profile.faults ?? [],
        marketEvents: profile.marketEvents ?? [],
        // The drill's market (its oracle included), or none: a target keeps no model from a drill before.
        market: market === undefined ? null : { oracle: market.oracle, shocks: market.shocks },
      });
    } catch (err) {
      await control.releaseLease().catch(() => false);
      throw err;
    }
    if (served.timeScale !== timeScale)
      log(
        `warning: the target runs at time scale ${served.timeScale}, the drill at ${timeScale}: its limit windows and lags are compressed differently`,
      );
    log(
      `target ${baseUrl}: control plane answers (strategy ${strategy}); leased, timeline and accounts come from it`,
    );
    return {
      url: baseUrl,
      config: served,
      control,
      keeper: new LeaseKeeper(control, identity, lease.ttlMs, log),
      token,
      tokenFile: false,
      keys: [],
      close: async () => {},
    };
  }
  const keys = apiKeysFromEnv(process.env);
  if (keys.length === 0)
    throw new StampedeError(
      "E_USAGE",
      `target ${baseUrl} has no stampede control plane: give API keys in STAMPEDE_API_KEYS="key:secret,..." (or STAMPEDE_API_KEY and STAMPEDE_API_SECRET)`,
    );
  log(
    `target ${baseUrl}: no control plane; ${keys.length} API key(s) from the environment, no server timeline`,
  );
  return {
    url: baseUrl,
    config: null,
    control: undefined,
    keeper: undefined,
    token: undefined,
    tokenFile: false,
    keys,
    close: async () => {},
  };
}
