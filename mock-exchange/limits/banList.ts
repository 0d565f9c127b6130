import { WindowGenerations } from "./window.ts";

/**
 * IP bans for clients that keep sending after a 429 (Binance "General Info: Limits", docs/facts.md:
 * "Repeatedly violating rate limits and/or failing to back off after receiving 429s will result in
 * an automated IP ban (HTTP status 418). IP bans are tracked and scale in duration for repeat
 * offenders, from 2 minutes to 3 days"). Binance does not publish its trigger, so the rule here is
 * ours, stated once:
 *
 * - Trigger. The weight-limit refusals (429 -1003) of an IP are counted per weight window (the
 *   same fixed windows as WeightLimiter: a natural minute, compressed by the time scale, aligned
 *   to the same origin). A refused request that would be one more than `banAfterRefusalsPerMinute`
 *   (compressed like the weight budget: divided by the time scale) in its window gets 418 instead
 *   of 429 and starts a ban. Order-count refusals (-1015) do not count: they are per account, and
 *   the ban is per IP.
 * - Length. The n-th ban of an IP lasts min(banBaseMs x 2^(n-1), banMaxMs) natural ms (2 minutes,
 *   4, 8, ... capped at 3 days from the 13th), divided by the time scale like every slow loop
 *   (docs/architecture.md "Two clocks").
 * - Memory. An IP's offences are forgotten once `banForgetMs` natural ms have passed since its
 *   last ban ended without a new one (Binance tracks repeat offenders but does not say for how
 *   long; a day by default, so within any drill a repeat offender keeps escalating).
 * - While banned, every request of the IP is answered 418 before its weight is counted: it
 *   neither consumes weight nor counts as a refusal, and does not extend the ban.
 *
 * Scaling the trigger with the budget keeps it a rate, like the limit itself: at time scale 1 the
 * default (600 per minute) bans a client that keeps sending ~10 requests per second after its
 * 429; in a drill at scale 60 it is 10 refusals in a one-second window, which is still ~10 per
 * second.
 */

export interface BanConfig {
  /** Weight refusals per IP tolerated within one (natural) minute window; the next refused request is banned. */
  banAfterRefusalsPerMinute: number;
  /** First ban, natural ms. */
  banBaseMs: number;
  /** Longest ban, natural ms. */
  banMaxMs: number;
  /** Offences are forgotten this long (natural ms) after the last ban ended. */
  banForgetMs: number;
}

interface RefusalWindow {
  windowStartMs: number;
  refusals: number;
}

interface Offender {
  /** Wall ms the current (or last) ban ends. */
  bannedUntilMs: number;
  /** Bans so far (reset when forgotten). */
  offences: number;
}

export class BanList {
  /** Refusals per IP in the current weight window; dropped when the window is over (window.ts). */
  private readonly refusalWindows: WindowGenerations<string, RefusalWindow>;
  /**
   * IPs banned at least once, kept while their ban runs and until their offences are forgotten
   * (`banForgetMs` after the ban ended), then dropped: an IP's next ban after that is a first
   * offence whether or not its record is still held, so dropping it changes no decision.
   */
  private readonly offenders = new Map<string, Offender>();
  private readonly windowMs: number;
  private readonly refusalsPerWindow: number;
  private readonly forgetMs: number;
  private sweepNowMs = 0;
  // One callback for every sweep: Map.forEach with a bound method allocates nothing per entry.
  private readonly sweepOne = (r: Offender, ip: string): void => {
    if (this.sweepNowMs - r.bannedUntilMs >= this.forgetMs) this.offenders.delete(ip);
  };

  /**
   * @param timeScale natural seconds per wall second (1 = real time)
   * @param originMs where window 0 starts (the exchange's start, as WeightLimiter's)
   * @param windowCompression the weight window's compression (limits/window.ts; default the time scale)
   */
  constructor(
    private readonly config: BanConfig,
    private readonly timeScale: number,
    private readonly originMs: number,
    windowCompression = timeScale,
  ) {
    // Refusals are counted per weight window, compressed as that window is (window.ts).
    this.windowMs = 60_000 / windowCompression;
    this.refusalWindows = new WindowGenerations(this.windowMs);
    this.refusalsPerWindow = config.banAfterRefusalsPerMinute / windowCompression;
    this.forgetMs = config.banForgetMs / timeScale;
  }

  /** Wall ms the n-th ban (n >= 1) lasts. */
  banLengthMs(offence: number): number {
    const natural = Math.min(this.config.banBaseMs * 2 ** (offence - 1), this.config.banMaxMs);
    return natural / this.timeScale;
  }

  /** Wall ms the IP's ban ends when it is banned at nowMs, else 0. */
  bannedUntil(ip: string, nowMs: number): number {
    this.advance(this.windowStart(nowMs), nowMs);
    const r = this.offenders.get(ip);
    return r !== undefined && r.bannedUntilMs > nowMs ? r.bannedUntilMs : 0;
  }

  private windowStart(nowMs: number): number {
    return nowMs - ((nowMs - this.originMs) % this.windowMs);
  }

  /**
   * At each new weight window: refusal counts of the window before last go (window.ts), and so
   * do offenders past their forget horizon. The sweep visits every offender once per window; the
   * offenders are only IPs banned within the horizon (a ban takes more than a window's budget
   * of weight plus its refusals), a small set next to the IPs seen.
   */
  private advance(windowStartMs: number, nowMs: number): void {
    if (!this.refusalWindows.advance(windowStartMs) || this.offenders.size === 0) return;
    this.sweepNowMs = nowMs;
    this.offenders.forEach(this.sweepOne);
  }

  /**
   * Records a weight refusal (429) of the IP at nowMs. Returns 0 when it stays a 429, or the wall
   * ms a ban it starts ends (the request is then answered 418).
   */
  refused(ip: string, nowMs: number): number {
    const windowStartMs = this.windowStart(nowMs);
    this.advance(windowStartMs, nowMs);
    let w = this.refusalWindows.get(ip);
    if (w === undefined) {
      w = { windowStartMs, refusals: 0 };
      this.refusalWindows.set(ip, w);
    } else if (w.windowStartMs !== windowStartMs) {
      w.windowStartMs = windowStartMs;
      w.refusals = 0;
    }
    if (w.refusals + 1 <= this.refusalsPerWindow) {
      w.refusals++;
      return 0;
    }
    w.refusals = 0;
    let r = this.offenders.get(ip);
    if (r === undefined) {
      r = { bannedUntilMs: 0, offences: 0 };
      this.offenders.set(ip, r);
    } else if (nowMs - r.bannedUntilMs >= this.forgetMs) {
      r.offences = 0;
    }
    r.offences++;
    r.bannedUntilMs = nowMs + this.banLengthMs(r.offences);
    return r.bannedUntilMs;
  }

  /**
   * Bans recorded for the IP; 0 for an IP never banned or forgotten (an IP past its forget
   * horizon may read its old count until the next window's sweep or its next offence).
   */
  offences(ip: string): number {
    return this.offenders.get(ip)?.offences ?? 0;
  }

  /** IPs with a refusal count or an offence record held (for tests of the eviction). */
  get ipsHeld(): number {
    return this.refusalWindows.size + this.offenders.size;
  }

  reset(): void {
    this.refusalWindows.clear();
    this.offenders.clear();
  }
}
