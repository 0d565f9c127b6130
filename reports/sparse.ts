import * as hdr from "hdr-histogram-js";

/**
 * A per-second histogram that stores only its occupied buckets. hdr-histogram-js walks every
 * one of its ~23,500 counts on add, encode and percentile (a packed histogram takes ~5-9 ms
 * per call), which makes hours of per-second, per-class histograms (a simulated 6 h run is
 * 21,600 s) take many minutes. A second holds a few hundred distinct buckets at most, so this
 * keeps them in a Map keyed by the bucket's lowest equivalent value of the reporter's latency
 * histogram (1 µs .. 1 h, 3 significant digits).
 *
 * Exactness: a value is stored under its bucket, and `addInto` records each bucket's lowest
 * value with its count, which lands in the same bucket of any histogram of that configuration;
 * `getValueAtPercentile` is HdrHistogram's own algorithm over the occupied buckets. So merged
 * totals and percentiles are identical to recording the raw values into an HdrHistogram.
 */

export const HIGHEST_TRACKABLE = 3_600_000_000;

/** 1 µs to 1 h at 3 significant digits, like HdrHistogram's usual latency set-up. */
export function latencyHistogram(): hdr.Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_TRACKABLE,
    numberOfSignificantValueDigits: 3,
    bitBucketSize: 32,
  });
}

/** Bucket arithmetic of the configuration (never recorded into). */
const REF = latencyHistogram() as unknown as hdr.JsHistogram;

/** log2 of the bucket-0 range: values whose top bit is above it lose that many low bits. */
const SUB_BUCKET_SHIFT = REF.subBucketHalfCountMagnitude + REF.unitMagnitude;

/**
 * REF.lowestEquivalentValue(v) for an integer v >= 1, with a count-leading-zeros below 2^31
 * (HdrHistogram's own formulation) instead of log2/pow; the same bucket, checked in
 * test/unit/ingest.test.ts.
 */
export function bucketKey(v: number): number {
  if (v < 2147483648 && REF.unitMagnitude === 0) {
    const shift = 31 - Math.clz32(v) - SUB_BUCKET_SHIFT;
    return shift > 0 ? (v >>> shift) << shift : v;
  }
  return REF.lowestEquivalentValue(v);
}

const ulp = (x: number) => 2 ** (Math.floor(Math.log2(x)) - 52);

/** What percentile code needs from a histogram, sparse or HDR. */
export interface Percentiles {
  readonly totalCount: number;
  getValueAtPercentile(percentile: number): number;
  /** Mean over each bucket's median equivalent value, as HdrHistogram computes it; absent: not known. */
  readonly mean?: number;
}

export class SparseHistogram implements Percentiles {
  /** Bucket (lowest equivalent value) -> count. */
  private readonly counts = new Map<number, number>();
  private sorted: number[] | null = null;
  totalCount = 0;
  /** Highest raw value recorded (HdrHistogram's `maxValue` is the same within the bucket). */
  maxValue = 0;

  /** Values above 1 h are clamped to 1 h, values below 1 to 1. */
  recordValueWithCount(value: number, count: number): void {
    if (!(count > 0) || !Number.isFinite(value)) return;
    const v = Math.min(HIGHEST_TRACKABLE, Math.max(1, Math.round(value)));
    const key = bucketKey(v);
    this.counts.set(key, (this.counts.get(key) ?? 0) + count);
    this.totalCount += count;
    if (v > this.maxValue) this.maxValue = v;
    this.sorted = null;
  }

  recordValue(value: number): void {
    this.recordValueWithCount(value, 1);
  }

  /** Adds another sparse histogram's counts. */
  add(other: SparseHistogram): void {
    for (const [key, n] of other.counts) this.counts.set(key, (this.counts.get(key) ?? 0) + n);
    this.totalCount += other.totalCount;
    if (other.maxValue > this.maxValue) this.maxValue = other.maxValue;
    this.sorted = null;
  }

  /** Adds every bucket of an HdrHistogram of the same configuration (e.g. a decoded one). */
  addHistogram(h: hdr.Histogram): void {
    if (h.totalCount === 0) return;
    const js = h as unknown as hdr.JsHistogram;
    // Walk the occupied range only: from the first bucket of minNonZeroValue to maxValue's.
    const from = js.countsArrayIndex(Math.max(1, h.minNonZeroValue));
    const to = js.countsArrayIndex(Math.min(HIGHEST_TRACKABLE, h.maxValue));
    for (let i = from; i <= to; i++) {
      const n = js.getCountAtIndex(i);
      if (n > 0) {
        const key = REF.lowestEquivalentValue(js.valueFromIndex(i));
        this.counts.set(key, (this.counts.get(key) ?? 0) + n);
        this.totalCount += n;
      }
    }
    if (h.maxValue > this.maxValue) this.maxValue = h.maxValue;
    this.sorted = null;
  }

  /** Records this histogram's buckets into an HdrHistogram (merging with `add` semantics). */
  addInto(h: hdr.Histogram): void {
    for (const [key, n] of this.counts) h.recordValueWithCount(key, n);
  }

  /** A real HdrHistogram with the same counts (for encoding). */
  toHistogram(into: hdr.Histogram = latencyHistogram()): hdr.Histogram {
    into.reset();
    this.addInto(into);
    return into;
  }

  /** HdrHistogram's mean: each bucket counted at its median equivalent value. */
  get mean(): number {
    if (this.totalCount === 0) return 0;
    let sum = 0;
    for (const [key, n] of this.counts) sum += REF.medianEquivalentValue(key) * n;
    return sum / this.totalCount;
  }

  /** HdrHistogram's getValueAtPercentile over the occupied buckets. */
  getValueAtPercentile(percentile: number): number {
    if (this.totalCount === 0) return 0;
    const requested = Math.min(percentile, 100);
    const fp = (requested / 100) * this.totalCount;
    const countAtPercentile = Math.max(Math.ceil(fp - ulp(fp)), 1);
    if (this.sorted === null) this.sorted = [...this.counts.keys()].sort((a, b) => a - b);
    let total = 0;
    for (const key of this.sorted) {
      total += this.counts.get(key) as number;
      if (total >= countAtPercentile) return percentile === 0 ? key : REF.highestEquivalentValue(key);
    }
    return 0;
  }
}
