import { existsSync, readFileSync } from "node:fs";
import { TIERS, type TierName } from "../loadtests/vocabulary/capacity.ts";
import { StampedeError } from "../loadtests/vocabulary/cliErrors.ts";
import { DEFAULT_PRICE_USD_PER_INSTANCE_HOUR } from "../loadtests/vocabulary/pricing.ts";

export type PricesUsdPerInstanceHour = Record<TierName, number>;

function checked(tier: string, value: unknown, source: string): number {
  if (!(TIERS as readonly string[]).includes(tier))
    throw new StampedeError(
      "E_USAGE",
      `--price-per-instance-hour: unknown tier "${tier}" in ${source}; tiers: ${TIERS.join(", ")}`,
    );
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n) || n < 0)
    throw new StampedeError(
      "E_USAGE",
      `--price-per-instance-hour: ${tier} must be a number >= 0 (USD per instance-hour), got ${JSON.stringify(value)}`,
    );
  return n;
}

/**
 * Prices from `--price-per-instance-hour`: `gateway=0.19,read=0.38`, or the path of a JSON file
 * `{"gateway": 0.19, "read": 0.38}`. Tiers not named keep their default; undefined gives the
 * defaults. A bad tier or price is a usage error (exit 2).
 */
export function parsePricePerInstanceHour(value: string | undefined): PricesUsdPerInstanceHour {
  const prices: PricesUsdPerInstanceHour = { ...DEFAULT_PRICE_USD_PER_INSTANCE_HOUR };
  if (value === undefined || value.trim() === "") return prices;
  if (!value.includes("=")) {
    if (!existsSync(value))
      throw new StampedeError(
        "E_USAGE",
        `--price-per-instance-hour: "${value}" is neither tier=price,... nor an existing JSON file`,
      );
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(value, "utf8"));
    } catch (err) {
      throw new StampedeError(
        "E_USAGE",
        `--price-per-instance-hour: ${value} is not JSON: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
      throw new StampedeError(
        "E_USAGE",
        `--price-per-instance-hour: ${value} must hold an object tier -> price`,
      );
    for (const [tier, price] of Object.entries(parsed))
      prices[tier as TierName] = checked(tier, price, value);
    return prices;
  }
  for (const part of value.split(",")) {
    if (part.trim() === "") continue;
    const [tier, price, extra] = part.split("=").map((s) => s.trim());
    if (tier === undefined || price === undefined || extra !== undefined)
      throw new StampedeError("E_USAGE", `--price-per-instance-hour: "${part}" is not tier=price`);
    prices[tier as TierName] = checked(tier, price, `"${value}"`);
  }
  return prices;
}

/** Money for instance-minutes by tier; tiers the run does not report cost nothing. */
export function costUsd(
  instanceMinutes: Partial<Record<TierName, number>> | undefined,
  prices: PricesUsdPerInstanceHour,
): number {
  let usd = 0;
  for (const tier of TIERS) {
    const minutes = instanceMinutes?.[tier];
    if (typeof minutes === "number" && Number.isFinite(minutes)) usd += (minutes / 60) * prices[tier];
  }
  return Math.round(usd * 100) / 100;
}
