import { randomBytes } from "node:crypto";
import type { ExchangeConfig } from "../defaults.ts";
import { type Random, seededRandom } from "../random.ts";

/**
 * Account keys and secrets: seeded only when a test or a benchmark asks for it, otherwise from
 * the operating system's CSPRNG, so nobody can re-derive them from the seed run.json records.
 */

export interface AccountKey {
  accountId: number;
  apiKey: string;
  /** HMAC-SHA256 secret of SIGNED requests (hex, 64 characters). */
  apiSecret: string;
}

/**
 * API keys and secrets derived from a seed: the same on every venue given that seed, so only
 * for tests and benchmarks that ask for it (`secretsSeed`). Secrets come from their own stream:
 * the keys stay what they were.
 */
export function deriveAccountKeys(seed: number, count: number): AccountKey[] {
  return accountKeys(seededRandom(seed ^ 0x5eed), seededRandom(seed ^ 0x5ec7e7), count);
}

/**
 * Uniform numbers in [0, 1) from the operating system's CSPRNG, 32 bits a draw: for keys,
 * secrets and listenKeys that nobody may guess from the seed (which run.json records).
 */
export function unpredictableRandom(): Random {
  return () => randomBytes(4).readUInt32LE(0) / 0x100000000;
}

/**
 * The venue's account keys: derived from `config.secretsSeed` when it is set, otherwise random,
 * so two venues never share a key or a secret and none can be re-derived from `config.seed`.
 */
export function provisionAccountKeys(
  config: Pick<ExchangeConfig, "secretsSeed">,
  count: number,
): AccountKey[] {
  if (config.secretsSeed !== undefined) return deriveAccountKeys(config.secretsSeed, count);
  return accountKeys(unpredictableRandom(), unpredictableRandom(), count);
}

/** 128-bit keys (stp + 32 hex) and 256-bit secrets (64 hex), 32 bits per draw. */
function accountKeys(keyRandom: Random, secretRandom: Random, count: number): AccountKey[] {
  const hexOf = (random: Random) => () =>
    Math.floor(random() * 0x100000000)
      .toString(16)
      .padStart(8, "0");
  const hex = hexOf(keyRandom);
  const secretHex = hexOf(secretRandom);
  const keys: AccountKey[] = [];
  for (let accountId = 1; accountId <= count; accountId++) {
    let apiSecret = "";
    for (let i = 0; i < 8; i++) apiSecret += secretHex();
    keys.push({ accountId, apiKey: `stp${hex()}${hex()}${hex()}${hex()}`, apiSecret });
  }
  return keys;
}
