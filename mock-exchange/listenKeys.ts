import type { Random } from "../loadtests/vocabulary/random.ts";

/**
 * User data stream keys (Binance USDⓈ-M "User Data Streams": POST/PUT/DELETE /fapi/v1/listenKey).
 * One key per account: POST returns the active key and extends it, or makes a new one; PUT
 * extends the active key; DELETE invalidates it. A key lapses `validityMs` after its last POST or
 * PUT (60 natural minutes on the venue; the caller passes it in wall ms, compressed by the time
 * scale like every slow loop). Pure: time comes in as `nowMs`, keys from a seeded source.
 */

/** `expired`: lapsed without a keepalive (the stream says listenKeyExpired); `unknown`: never issued, closed or replaced. */
export type ListenKeyStatus = "active" | "expired" | "unknown";

interface Entry {
  key: string;
  expiresAtMs: number;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** Binance listen keys are 64 alphanumerics. */
const KEY_LENGTH = 64;

export class ListenKeys {
  // One entry per account that ever asked for a key, in both maps: a replaced or closed key is
  // deleted from byKey at once, so neither grows with requests (accounts are the venue's, fixed).
  private readonly byAccount = new Map<number, Entry>();
  private readonly byKey = new Map<string, number>();

  constructor(
    readonly validityMs: number,
    private readonly random: Random,
  ) {
    if (!(validityMs > 0)) throw new Error(`listenKey validity must be > 0 ms, got ${validityMs}`);
  }

  /** POST: the account's active key with its validity extended, else a new key (an expired one is replaced). */
  start(accountId: number, nowMs: number): string {
    const entry = this.byAccount.get(accountId);
    if (entry !== undefined && entry.expiresAtMs > nowMs) {
      entry.expiresAtMs = nowMs + this.validityMs;
      return entry.key;
    }
    if (entry !== undefined) this.byKey.delete(entry.key);
    let key = this.newKey();
    while (this.byKey.has(key)) key = this.newKey();
    this.byAccount.set(accountId, { key, expiresAtMs: nowMs + this.validityMs });
    this.byKey.set(key, accountId);
    return key;
  }

  /** PUT: extends the active key; undefined when the account has none (-1125). */
  keepalive(accountId: number, nowMs: number): string | undefined {
    const entry = this.byAccount.get(accountId);
    if (entry === undefined || entry.expiresAtMs <= nowMs) return undefined;
    entry.expiresAtMs = nowMs + this.validityMs;
    return entry.key;
  }

  /** DELETE: invalidates the account's key (expired or not); false when it had none. */
  close(accountId: number): boolean {
    const entry = this.byAccount.get(accountId);
    if (entry === undefined) return false;
    this.byAccount.delete(accountId);
    this.byKey.delete(entry.key);
    return true;
  }

  status(key: string, nowMs: number): ListenKeyStatus {
    const accountId = this.byKey.get(key);
    if (accountId === undefined) return "unknown";
    return (this.byAccount.get(accountId) as Entry).expiresAtMs > nowMs ? "active" : "expired";
  }

  /** The account of an active key. */
  accountOf(key: string, nowMs: number): number | undefined {
    return this.status(key, nowMs) === "active" ? this.byKey.get(key) : undefined;
  }

  /** The account's active key. */
  keyOf(accountId: number, nowMs: number): string | undefined {
    const entry = this.byAccount.get(accountId);
    return entry !== undefined && entry.expiresAtMs > nowMs ? entry.key : undefined;
  }

  private newKey(): string {
    let key = "";
    for (let i = 0; i < KEY_LENGTH; i++) key += ALPHABET[Math.floor(this.random() * ALPHABET.length)];
    return key;
  }
}
