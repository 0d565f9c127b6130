import type { ExchangeConfig } from "../defaults.ts";
import { BanList } from "./banList.ts";
import { WeightLimiter } from "./weightLimiter.ts";
import { limitWindowCompression } from "./window.ts";

/**
 * Everything decided per client IP, in one call and one order, so the mock exchange
 * (api/server.ts) and the per-request simulator (simulate/perRequest.ts) decide the same
 * for the same request stream: ban check (418) -> request weight (429) -> ban accounting (a
 * refusal past the tolerated count becomes a 418 and starts a ban, banList.ts).
 */

export type IpOutcome = "allowed" | "rate_limited" | "banned";

export interface IpDecision {
  outcome: IpOutcome;
  /** The IP's weight in the current window (the X-MBX-USED-WEIGHT-1M value); a banned request adds none. */
  usedWeight: number;
  /** Retry-After when refused: whole seconds until the weight window resets (429) or the ban ends (418). */
  retryAfterS: number;
  /** When banned: the wall ms the ban ends (the "banned until" of -1003). */
  bannedUntilMs: number;
}

export class IpLimiter {
  readonly weight: WeightLimiter;
  readonly bans: BanList;
  // One decision object reused: callers read it before the next call (no per-request allocation).
  private readonly decision: IpDecision = {
    outcome: "allowed",
    usedWeight: 0,
    retryAfterS: 0,
    bannedUntilMs: 0,
  };

  /**
   * @param timeScale natural seconds per wall second (1 = real time)
   * @param originMs where window 0 starts (the exchange's start)
   */
  constructor(limits: ExchangeConfig["limits"], timeScale: number, originMs: number) {
    // Windows compress by the time scale down to the budgets' floor (window.ts); bans by the time scale.
    const compression = limitWindowCompression(limits, timeScale);
    this.weight = new WeightLimiter(limits.weightPerMinute, compression, originMs);
    this.bans = new BanList(limits, timeScale, originMs, compression);
  }

  /** The venue's weight limit per (natural) minute, as exchangeInfo and -1003 state it. */
  get limit(): number {
    return this.weight.limit;
  }

  admit(ip: string, weight: number, nowMs: number): Readonly<IpDecision> {
    const d = this.decision;
    const bannedUntil = this.bans.bannedUntil(ip, nowMs);
    if (bannedUntil > 0) return this.banned(d, ip, bannedUntil, nowMs);
    const w = this.weight.consume(ip, weight, nowMs);
    d.usedWeight = w.usedWeight;
    d.bannedUntilMs = 0;
    if (w.allowed) {
      d.outcome = "allowed";
      d.retryAfterS = 0;
      return d;
    }
    const banEnd = this.bans.refused(ip, nowMs);
    if (banEnd > 0) return this.banned(d, ip, banEnd, nowMs);
    d.outcome = "rate_limited";
    d.retryAfterS = w.retryAfterS;
    return d;
  }

  private banned(d: IpDecision, ip: string, untilMs: number, nowMs: number): IpDecision {
    d.outcome = "banned";
    d.bannedUntilMs = untilMs;
    d.retryAfterS = Math.max(1, Math.ceil((untilMs - nowMs) / 1000));
    d.usedWeight = this.weight.used(ip, nowMs);
    return d;
  }
}
