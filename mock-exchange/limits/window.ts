import type { ExchangeConfig } from "../defaults.ts";

/**
 * How far a drill compresses the rate limits' fixed windows (design.md "Two clocks"). A window
 * and its budget are divided by the same factor, so a limit's rate (units per wall second) is
 * always the venue's. The factor is the time scale, but no larger than keeps every budget at its
 * floor: at strong compression a budget of a few units rounds the venue's rate away (300 orders
 * per 10 s at scale 180 is 1.67 orders per 55 ms window: one fits, so the effective limit drops
 * from 30 to 18 orders/s; 2,400 weight per minute at scale 510 is 4.7 per window, less than one
 * position read). One factor for every limit keeps the windows nested as the venue's are (six
 * 10 s order windows per minute, the order minute the same as the weight minute).
 *
 * @returns natural ms per wall ms inside a limit window: the time scale, or less
 */
export function limitWindowCompression(limits: ExchangeConfig["limits"], timeScale: number): number {
  const floorAllows = Math.min(
    limits.weightPerMinute / limits.minWindowWeight,
    limits.ordersPer10s / limits.minWindowOrders,
    limits.ordersPerMinute / limits.minWindowOrders,
  );
  return Math.min(timeScale, Math.max(1, floorAllows));
}
