import { exponential, type Random } from "../../loadtests/vocabulary/random.ts";
import type { ServiceClass } from "../defaults.ts";

/**
 * The `fixed` provisioning strategy: c gateway workers in front of one FIFO queue (M/M/c when
 * arrivals are Poisson; docs/facts.md "Queueing"). Pure: time is passed in, randomness injected.
 *
 * Because the queue is FIFO and service times are drawn at arrival, each request's start time is
 * known when it arrives: it goes to the worker that frees up first (Lindley's recursion for c
 * servers). So one admission decision per request replaces a running scheduler, and the same code
 * serves the real-time drill and a virtual-time simulation.
 *
 * The number of workers can change (`setWorkers`, for autoscaling and faults). A request already
 * admitted keeps the start and due times decided at its arrival: a capacity change applies to
 * arrivals after it. Removed workers are the ones that free up last; they finish the work already
 * assigned to them (it stays counted in `queueDepth` and busy time) and take no more.
 */

export type AdmissionOutcome = "admitted" | "timeout" | "overloaded" | "unavailable";

export interface Admission {
  outcome: AdmissionOutcome;
  /** When service starts (admitted), ms. */
  startMs: number;
  /**
   * When the response is due: end of service, or end of the queue timeout, or now when shed
   * (overloaded) or when no worker exists (unavailable).
   */
  dueMs: number;
}

export interface WorkerPoolOptions {
  workers: number;
  /**
   * Workers the arrays are sized for up front (default `workers`). `setWorkers` beyond it
   * reallocates, off the hot path.
   */
  maxWorkers?: number;
  serviceTimeMs: Record<ServiceClass, number>;
  serviceTimeMinMs: Record<ServiceClass, number>;
  /** Infinity: no timeout. */
  queueTimeoutMs: number;
  /** Infinity: unbounded queue (the queued-starts heap grows on demand). */
  maxQueue: number;
  random: Random;
  /** Start of second 0 of the busy-time accounting, ms (the timeline's origin). */
  originMs: number;
}

/** Seconds of busy-time buckets kept; service more than ~30 s ahead of now is clipped in accounting. */
const BUSY_RING_SECONDS = 32;
/** Initial size of the queued-starts heap when maxQueue is larger; it doubles when full. */
const INITIAL_QUEUE_CAPACITY = 1024;

export class WorkerPool {
  private freeAt: Float64Array; // min-heap over [0, count): when each worker becomes free
  private count: number;
  private queuedStarts: Float64Array; // min-heap: start times of requests still waiting
  private queued = 0;
  private readonly busyMsBySecond = new Float64Array(BUSY_RING_SECONDS);
  private readonly admission: Admission = { outcome: "admitted", startMs: 0, dueMs: 0 };

  constructor(private readonly opts: WorkerPoolOptions) {
    checkWorkers(opts.workers);
    this.count = opts.workers;
    this.freeAt = new Float64Array(Math.max(1, opts.workers, opts.maxWorkers ?? 0));
    this.freeAt.fill(Number.NEGATIVE_INFINITY, 0, this.count);
    this.queuedStarts = new Float64Array(Math.max(1, Math.min(opts.maxQueue, INITIAL_QUEUE_CAPACITY)));
  }

  get workers(): number {
    return this.count;
  }

  /**
   * Changes the number of workers at nowMs. New workers are free at nowMs; removal takes the
   * workers that free up last. Decisions already made stand (see the file comment).
   */
  setWorkers(n: number, nowMs: number): void {
    checkWorkers(n);
    if (n === this.count) return;
    if (n > this.freeAt.length) {
      const grown = new Float64Array(Math.max(n, 2 * this.freeAt.length));
      grown.set(this.freeAt.subarray(0, this.count));
      this.freeAt = grown;
    }
    if (n > this.count) this.freeAt.fill(nowMs, this.count, n);
    // A sorted array is a min-heap; sorting also puts the latest free times last for removal.
    this.freeAt.subarray(0, Math.max(n, this.count)).sort();
    this.count = n;
  }

  /** Decides one arrival. The returned object is reused: read it before the next call. */
  admit(nowMs: number, serviceClass: ServiceClass): Readonly<Admission> {
    this.dropStarted(nowMs);
    const a = this.admission;
    if (this.count === 0) {
      a.outcome = "unavailable";
      a.startMs = nowMs;
      a.dueMs = nowMs;
      return a;
    }
    const earliestFree = this.freeAt[0] as number;
    const startMs = Math.max(earliestFree, nowMs);
    if (startMs > nowMs && this.queued >= this.opts.maxQueue) {
      a.outcome = "overloaded";
      a.startMs = nowMs;
      a.dueMs = nowMs;
      return a;
    }
    if (startMs - nowMs > this.opts.queueTimeoutMs) {
      // It would still be waiting when the gateway gives up: the worker is never used.
      a.outcome = "timeout";
      a.startMs = nowMs;
      a.dueMs = nowMs + this.opts.queueTimeoutMs;
      return a;
    }
    const minMs = this.opts.serviceTimeMinMs[serviceClass];
    const serviceMs = minMs + exponential(this.opts.random, this.opts.serviceTimeMs[serviceClass] - minMs);
    const dueMs = startMs + serviceMs;
    this.freeAt[0] = dueMs;
    siftDown(this.freeAt, this.count, 0);
    if (startMs > nowMs) this.pushQueued(startMs);
    this.accountBusy(nowMs, startMs, dueMs);
    a.outcome = "admitted";
    a.startMs = startMs;
    a.dueMs = dueMs;
    return a;
  }

  /** Requests admitted but not yet started at nowMs (including those left to removed workers). */
  queueDepth(nowMs: number): number {
    this.dropStarted(nowMs);
    return this.queued;
  }

  /** Current workers busy at nowMs (removed workers finishing their last work are not counted). */
  busyWorkers(nowMs: number): number {
    let busy = 0;
    for (let i = 0; i < this.count; i++) if ((this.freeAt[i] as number) > nowMs) busy++;
    return busy;
  }

  /**
   * Worker-milliseconds of service in second `second` (counted from originMs), then forgets it.
   * Call once per second, after the second has ended. It counts all service in that second,
   * including work finished by removed workers, so right after a shrink it can exceed
   * workers x 1000.
   */
  takeBusyMs(second: number): number {
    const slot = second % BUSY_RING_SECONDS;
    const busy = this.busyMsBySecond[slot] as number;
    this.busyMsBySecond[slot] = 0;
    return busy;
  }

  private accountBusy(nowMs: number, startMs: number, endMs: number): void {
    const origin = this.opts.originMs;
    // The slot of the second before now may not be taken yet: stay one short of wrapping onto it.
    const lastSecond = Math.floor((nowMs - origin) / 1000) + BUSY_RING_SECONDS - 2;
    let from = startMs;
    while (from < endMs) {
      const second = Math.floor((from - origin) / 1000);
      if (second > lastSecond) break;
      const secondEnd = origin + (second + 1) * 1000;
      const to = Math.min(endMs, secondEnd);
      const slot = second % BUSY_RING_SECONDS;
      this.busyMsBySecond[slot] = (this.busyMsBySecond[slot] as number) + (to - from);
      from = to;
    }
  }

  private pushQueued(startMs: number): void {
    if (this.queued === this.queuedStarts.length) {
      const grown = new Float64Array(2 * this.queuedStarts.length);
      grown.set(this.queuedStarts);
      this.queuedStarts = grown;
    }
    const heap = this.queuedStarts;
    let i = this.queued++;
    heap[i] = startMs;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as number) <= (heap[i] as number)) break;
      swap(heap, i, parent);
      i = parent;
    }
  }

  private dropStarted(nowMs: number): void {
    const heap = this.queuedStarts;
    while (this.queued > 0 && (heap[0] as number) <= nowMs) {
      this.queued--;
      heap[0] = heap[this.queued] as number;
      siftDown(heap, this.queued, 0);
    }
  }
}

function checkWorkers(n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`workers must be a whole number >= 0, got ${n}`);
}

function swap(heap: Float64Array, i: number, j: number): void {
  const t = heap[i] as number;
  heap[i] = heap[j] as number;
  heap[j] = t;
}

function siftDown(heap: Float64Array, size: number, start: number): void {
  let i = start;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= size) return;
    const right = left + 1;
    let smallest = left;
    if (right < size && (heap[right] as number) < (heap[left] as number)) smallest = right;
    if ((heap[smallest] as number) >= (heap[i] as number)) return;
    swap(heap, i, smallest);
    i = smallest;
  }
}
