/**
 * The engine's order storage once orders may leave it (engine/orderStore.ts, "retention"): orderId ->
 * Order in O(1), memory in proportion to the orders held rather than to every id ever handed out.
 *
 * Ids are handed out densely (1, 2, 3, ...) and most orders leave in about the order they came,
 * so the recent ids live in a ring indexed by `id - base` (an array read, as fast as the plain
 * array it replaces). A few orders outlive their neighbours by hours (the house ladder rests from
 * reset, a far limit order may rest all day): when the ring is more holes than orders, its front
 * moves on and those few go to a Map. The ring then spans about twice the orders it holds.
 */

const MIN_CAPACITY = 1_024;
/** The ring is compacted only past this many holes, so small books never churn. */
const MIN_HOLES = 4_096;

export class OrderIndex<T extends object> {
  private slots: Array<T | undefined> = new Array(MIN_CAPACITY);
  private mask = MIN_CAPACITY - 1;
  /** The id at ring position `start`. */
  private base: number;
  private start = 0;
  /** The ring covers ids base .. base + span - 1. */
  private span = 0;
  /** Entries in the ring (span - inRing are holes). */
  private inRing = 0;
  /** Entries whose id the ring's front has moved past. */
  private readonly older = new Map<number, T>();

  constructor(firstId = 1) {
    this.base = firstId;
  }

  /** Entries held. */
  get size(): number {
    return this.inRing + this.older.size;
  }

  /** Adds the next id: ids come in order, none skipped (the engine consumes one per order it keeps). */
  append(id: number, value: T): void {
    if (id !== this.base + this.span)
      throw new Error(`order index: expected id ${this.base + this.span}, got ${id}`);
    if (this.span === this.slots.length) this.resize(this.slots.length * 2);
    this.slots[(this.start + this.span) & this.mask] = value;
    this.span++;
    this.inRing++;
    if (this.span - this.inRing > this.inRing + MIN_HOLES) this.compact();
  }

  /** The entry of an integer id, or undefined. */
  get(id: number): T | undefined {
    const off = id - this.base;
    if (off >= 0) return off < this.span ? this.slots[(this.start + off) & this.mask] : undefined;
    return this.older.size === 0 ? undefined : this.older.get(id);
  }

  delete(id: number): boolean {
    const off = id - this.base;
    if (off < 0) return this.older.delete(id);
    if (off >= this.span) return false;
    const i = (this.start + off) & this.mask;
    if (this.slots[i] === undefined) return false;
    this.slots[i] = undefined;
    this.inRing--;
    if (off === 0) this.trimFront();
    return true;
  }

  /** Moves the front past leading holes (the common case: the oldest order left first). */
  private trimFront(): void {
    while (this.span > 0 && this.slots[this.start] === undefined) this.advance();
    if (this.span === 0) this.start = 0;
    if (this.slots.length > MIN_CAPACITY && this.span * 4 < this.slots.length)
      this.resize(this.slots.length / 2);
  }

  /**
   * More holes than entries: moves the front on until that is no longer so, the entries it passes
   * going to `older`. Each id is passed once, so this costs O(1) per id appended, amortised.
   */
  private compact(): void {
    while (this.span - this.inRing > this.inRing) {
      const v = this.slots[this.start];
      if (v !== undefined) {
        this.older.set(this.base, v);
        this.slots[this.start] = undefined;
        this.inRing--;
      }
      this.advance();
    }
    this.trimFront();
  }

  private advance(): void {
    this.start = (this.start + 1) & this.mask;
    this.base++;
    this.span--;
  }

  private resize(capacity: number): void {
    const next: Array<T | undefined> = new Array(capacity);
    for (let k = 0; k < this.span; k++) next[k] = this.slots[(this.start + k) & this.mask];
    this.slots = next;
    this.mask = capacity - 1;
    this.start = 0;
  }
}

/**
 * Final orders in the order they became final, each with the time it is to be forgotten
 * (`forgetAtMs`) and a sequence number (which of two queues' heads became final first). Rows in
 * one Float64Array ring, so queueing an order on the matching hot path allocates nothing.
 */
export class FinalOrderQueue {
  private data = new Float64Array(MIN_CAPACITY * 3);
  /** A power of two: positions wrap with `& mask`. */
  private capacity = MIN_CAPACITY;
  private mask = MIN_CAPACITY - 1;
  private head = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(orderId: number, forgetAtMs: number, seq: number): void {
    if (this.count === this.capacity) this.resize(this.capacity * 2);
    const o = ((this.head + this.count) & this.mask) * 3;
    this.data[o] = orderId;
    this.data[o + 1] = forgetAtMs;
    this.data[o + 2] = seq;
    this.count++;
  }

  /** The oldest row's forgetAtMs; +Infinity when empty. */
  headForgetAtMs(): number {
    return this.count === 0 ? Number.POSITIVE_INFINITY : (this.data[this.head * 3 + 1] as number);
  }

  /** The oldest row's sequence number; +Infinity when empty. */
  headSeq(): number {
    return this.count === 0 ? Number.POSITIVE_INFINITY : (this.data[this.head * 3 + 2] as number);
  }

  /** Removes the oldest row and returns its orderId (the queue must not be empty). */
  shift(): number {
    const id = this.data[this.head * 3] as number;
    this.head = (this.head + 1) & this.mask;
    this.count--;
    if (this.capacity > MIN_CAPACITY && this.count * 4 < this.capacity) this.resize(this.capacity / 2);
    return id;
  }

  private resize(capacity: number): void {
    const next = new Float64Array(capacity * 3);
    // The rows from head to the end of the array, then those wrapped round to its start.
    const first = Math.min(this.count, this.capacity - this.head);
    next.set(this.data.subarray(this.head * 3, (this.head + first) * 3), 0);
    if (first < this.count) next.set(this.data.subarray(0, (this.count - first) * 3), first * 3);
    this.data = next;
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.head = 0;
  }
}
