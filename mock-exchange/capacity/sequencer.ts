/**
 * The matching engine as one sequencer with its own rate (issue: "the matching engine as one
 * sequencer"). Orders reach it when the gateway finishes them, which is not the order they
 * arrived in (service times differ), and the gateway's times are decided at arrival. So instead
 * of a FIFO over arrival order, the sequencer books capacity in time buckets: an order ready at r
 * takes the first bucket at or after r that still has room, and completes at its position in
 * that bucket. That is FIFO by ready time up to the bucket width, without sorting.
 * Pure: times are passed in; a ring of buckets, no allocation per order.
 */

/** Width of a booking bucket, ms (or 1/rate when longer): small against the queue timeout. */
const BUCKET_MS = 10;
/** Buckets kept: 40.96 s of bookings ahead, far beyond any gateway due time plus queue timeout. */
const RING = 4096;

export type SequencerOutcome = "sequenced" | "timeout";

export class Sequencer {
  private readonly perBucket: number;
  private readonly serviceMs: number;
  private readonly bucketMs: number;
  private readonly used = new Float64Array(RING);
  /** Which bucket (absolute index) a ring slot currently holds; -1 = never used. */
  private readonly slotBucket = new Float64Array(RING).fill(-1);
  /** Completion time of the last booking, ms (valid until the next call). */
  doneMs = 0;

  constructor(
    ordersPerS: number,
    private readonly queueTimeoutMs: number,
  ) {
    this.serviceMs = 1000 / ordersPerS;
    // At least one order per bucket, so slow sequencers keep their exact rate.
    this.bucketMs = Math.max(BUCKET_MS, this.serviceMs);
    this.perBucket = Math.floor((ordersPerS * this.bucketMs) / 1000 + 1e-9);
  }

  /**
   * Books one order that leaves the gateway at readyMs. It is sequenced when the first free
   * capacity at or after readyMs starts within the queue timeout; `doneMs` is then its
   * completion time. Otherwise it times out (and books nothing).
   */
  book(readyMs: number): SequencerOutcome {
    let bucket = Math.floor(readyMs / this.bucketMs);
    const lastBucket = Math.floor((readyMs + this.queueTimeoutMs) / this.bucketMs);
    for (; bucket <= lastBucket; bucket++) {
      const slot = bucket % RING;
      if (this.slotBucket[slot] !== bucket) {
        this.slotBucket[slot] = bucket;
        this.used[slot] = 0;
      }
      const used = this.used[slot] as number;
      if (used >= this.perBucket) continue;
      const bucketStart = bucket * this.bucketMs;
      const startMs = Math.max(readyMs, bucketStart + used * this.serviceMs);
      if (startMs - readyMs > this.queueTimeoutMs) return "timeout";
      this.used[slot] = used + 1;
      this.doneMs = startMs + this.serviceMs;
      return "sequenced";
    }
    return "timeout";
  }
}
