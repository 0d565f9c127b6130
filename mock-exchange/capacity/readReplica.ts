/**
 * A read replica of account positions. Every position change on the primary is appended to a
 * replication log; the replica applies at most `applyPerS` changes per second, none younger than
 * `baseLagMs`. When writes outpace the apply rate the backlog grows and reads return old state:
 * the stale position reads of the Oct 2025 crash (docs/architecture.md), while the primary stays exact.
 * Pure: time is passed in.
 */

export interface ReplicaOptions {
  baseLagMs: number;
  applyPerS: number;
  symbolCount: number;
  /** Changes the log holds at most (see `record`); absent: no limit. */
  maxBacklogChanges?: number;
}

/** Fields per (account, symbol) in the replica's state. */
const FIELDS = 3; // amountLots, entryPriceTicks, updateTime
const INITIAL_LOG_CAPACITY = 4096;

export class ReadReplica {
  // Replication log as a ring of parallel typed arrays (no object per change).
  private capacity = INITIAL_LOG_CAPACITY;
  private logAccount = new Int32Array(INITIAL_LOG_CAPACITY);
  private logSymbol = new Int32Array(INITIAL_LOG_CAPACITY);
  private logAmount = new Float64Array(INITIAL_LOG_CAPACITY);
  private logEntry = new Float64Array(INITIAL_LOG_CAPACITY);
  private logUpdateTime = new Float64Array(INITIAL_LOG_CAPACITY);
  private logEnqueuedMs = new Float64Array(INITIAL_LOG_CAPACITY);
  private head = 0;
  private size = 0;

  /** Per account that ever traded (the venue's accounts: bounded), not per change. */
  private readonly state = new Map<number, Float64Array>();
  private readonly pendingByAccount = new Map<number, number>();
  private credit = 0;
  private lastAdvanceMs = -1;
  private applied = 0;

  constructor(private readonly opts: ReplicaOptions) {}

  /**
   * A change committed on the primary at nowMs. With `maxBacklogChanges` already waiting, the
   * oldest is applied at once to make room: writes that outpace the apply rate for hours would
   * otherwise grow the log without bound, and a replica that far behind (a million changes are 37
   * minutes at 450/s) serves nobody a meaningful read anyway. Only its lag stops growing there.
   */
  record(
    accountId: number,
    symbolIndex: number,
    amountLots: number,
    entryPriceTicks: number,
    updateTime: number,
    nowMs: number,
  ): void {
    // The apply clock starts with the first write, so an idle replica has banked nothing.
    if (this.lastAdvanceMs < 0) this.lastAdvanceMs = nowMs;
    if (this.size >= (this.opts.maxBacklogChanges ?? Number.POSITIVE_INFINITY)) this.applyHead();
    if (this.size === this.capacity) this.grow();
    const i = (this.head + this.size) % this.capacity;
    this.logAccount[i] = accountId;
    this.logSymbol[i] = symbolIndex;
    this.logAmount[i] = amountLots;
    this.logEntry[i] = entryPriceTicks;
    this.logUpdateTime[i] = updateTime;
    this.logEnqueuedMs[i] = nowMs;
    this.size++;
    this.pendingByAccount.set(accountId, (this.pendingByAccount.get(accountId) ?? 0) + 1);
  }

  /** Applies what the replica has had time to apply by nowMs. */
  advance(nowMs: number): void {
    if (this.lastAdvanceMs < 0) this.lastAdvanceMs = nowMs;
    const elapsedMs = nowMs - this.lastAdvanceMs;
    this.lastAdvanceMs = nowMs;
    this.credit += (elapsedMs * this.opts.applyPerS) / 1000;
    const readyBefore = nowMs - this.opts.baseLagMs;
    while (this.credit >= 1 && this.size > 0 && (this.logEnqueuedMs[this.head] as number) <= readyBefore) {
      this.applyHead();
      this.credit -= 1;
    }
    // An idle replica does not bank unlimited apply capacity for the next burst.
    const maxCredit = Math.max(1, this.opts.applyPerS / 10);
    if (this.credit > maxCredit) this.credit = maxCredit;
  }

  /**
   * The replica's view of one position: [amountLots, entryPriceTicks, updateTime], or undefined
   * when the replica has never seen a change for that account. A fresh object each call.
   */
  read(
    accountId: number,
    symbolIndex: number,
  ): { amountLots: number; entryPriceTicks: number; updateTime: number } | undefined {
    const s = this.state.get(accountId);
    if (s === undefined) return undefined;
    const o = symbolIndex * FIELDS;
    return {
      amountLots: s[o] as number,
      entryPriceTicks: s[o + 1] as number,
      updateTime: s[o + 2] as number,
    };
  }

  /** True when the primary has changes for this account that the replica has not applied. */
  isBehind(accountId: number): boolean {
    return (this.pendingByAccount.get(accountId) ?? 0) > 0;
  }

  /** Age of the oldest unapplied change, ms (0 when caught up). */
  lagMs(nowMs: number): number {
    // A timeline second can be closed a little after writes stamped later than its end: never < 0.
    return this.size === 0 ? 0 : Math.max(0, nowMs - (this.logEnqueuedMs[this.head] as number));
  }

  get backlog(): number {
    return this.size;
  }

  get appliedTotal(): number {
    return this.applied;
  }

  private applyHead(): void {
    const i = this.head;
    const accountId = this.logAccount[i] as number;
    let s = this.state.get(accountId);
    if (s === undefined) {
      s = new Float64Array(this.opts.symbolCount * FIELDS);
      this.state.set(accountId, s);
    }
    const o = (this.logSymbol[i] as number) * FIELDS;
    s[o] = this.logAmount[i] as number;
    s[o + 1] = this.logEntry[i] as number;
    s[o + 2] = this.logUpdateTime[i] as number;
    const pending = (this.pendingByAccount.get(accountId) ?? 1) - 1;
    if (pending === 0) this.pendingByAccount.delete(accountId);
    else this.pendingByAccount.set(accountId, pending);
    this.head = (this.head + 1) % this.capacity;
    this.size--;
    this.applied++;
  }

  private grow(): void {
    const next = this.capacity * 2;
    const copy = <T extends Int32Array | Float64Array>(src: T, make: (n: number) => T): T => {
      const dst = make(next);
      for (let k = 0; k < this.size; k++) dst[k] = src[(this.head + k) % this.capacity] as number;
      return dst;
    };
    this.logAccount = copy(this.logAccount, (n) => new Int32Array(n));
    this.logSymbol = copy(this.logSymbol, (n) => new Int32Array(n));
    this.logAmount = copy(this.logAmount, (n) => new Float64Array(n));
    this.logEntry = copy(this.logEntry, (n) => new Float64Array(n));
    this.logUpdateTime = copy(this.logUpdateTime, (n) => new Float64Array(n));
    this.logEnqueuedMs = copy(this.logEnqueuedMs, (n) => new Float64Array(n));
    this.head = 0;
    this.capacity = next;
  }
}
