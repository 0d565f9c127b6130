import { randomBytes } from "node:crypto";
import type { ExchangeConfig } from "../defaults.ts";
import { type AccountKey, provisionAccountKeys, Venue } from "../venue.ts";

/** Which venue answered: the instance, the current venue's start and how many resets came before it. */
export interface InstanceState {
  instanceId: string;
  originMs: number;
  resets: number;
}

/**
 * The venue behind one listening process, across resets: every plane reads the current venue
 * from here, and a reset (the control plane) replaces it. What outlives a reset lives here too:
 * the accounts' keys and the instance's id.
 */
export class ExchangeInstance {
  /**
   * Random per start: a drill that sees another id (or another originMs) knows the venue it was
   * loading restarted or was reset under it.
   */
  readonly instanceId = randomBytes(8).toString("hex");
  /**
   * Keys and secrets once per instance (random unless config.secretsSeed): a reset keeps them, so
   * clients that read /__stampede/accounts stay valid; another instance never shares them.
   */
  private readonly accountKeys: AccountKey[];
  private currentConfig: ExchangeConfig;
  private currentVenue: Venue;
  private resetCount = 0;

  constructor(
    config: ExchangeConfig,
    private readonly now: () => number,
  ) {
    this.accountKeys = provisionAccountKeys(config, config.accounts);
    this.currentConfig = config;
    this.currentVenue = new Venue(config, now, this.accountKeys);
  }

  get venue(): Venue {
    return this.currentVenue;
  }

  get config(): ExchangeConfig {
    return this.currentConfig;
  }

  get resets(): number {
    return this.resetCount;
  }

  /** Starts a new venue from `config` (same accounts and keys) in place of the current one. */
  reset(config: ExchangeConfig): Venue {
    this.currentConfig = config;
    this.currentVenue = new Venue(config, this.now, this.accountKeys);
    this.resetCount++;
    return this.currentVenue;
  }

  state(): InstanceState {
    return { instanceId: this.instanceId, originMs: this.currentVenue.originMs, resets: this.resetCount };
  }

  /** The same, as the headers of an answer whose body has no room for it (the timeline's NDJSON). */
  headers(): Record<string, string> {
    return {
      "X-Stampede-Instance": this.instanceId,
      "X-Stampede-Origin-Ms": String(this.currentVenue.originMs),
    };
  }
}
