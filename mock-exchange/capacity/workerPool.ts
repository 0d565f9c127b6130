import type { ServiceClass } from "../defaults.ts";
import { exponential, type Random } from "../random.ts";

/**
 * The `fixed` provisioning strategy: c gateway workers in front of one FIFO queue (M/M/c when
 * arrivals are Poisson; reference.md "Queueing"). Pure: time is passed in, randomness injected.
 *
 * Because the queue is FIFO and service times are drawn at arrival, each request's start time is
 * known when it arrives: it goes to the worker that frees up first (Lindley's recursion for c
 * servers). So one admission decision per request replaces a running scheduler, and the same code
 * serves the real-time drill and a virtual-time simulation.
 */

export type AdmissionOutcome = "admitted" | "timeout" | "overloaded";

export interface Admission {
  outcome: AdmissionOutcome;
  /** When service starts (admitted), ms. */
  startMs: number;
  /** When the response is due: end of service, or end of the queue timeout, or now when shed. */
  dueMs: number;
}

export interface WorkerPoolOptions {
  workers: number;
  serviceTimeMs: Record<ServiceClass, number>;
  serviceTimeMinMs: Record<ServiceClass, number>;
  queueTimeoutMs: number;
  maxQueue: number;
  random: Random;
  /** Start of second 0 of the busy-time accounting, ms (the timeline's origin). */
  originMs: number;
}

/** Seconds of busy-time buckets kept ahead; a service longer than this is clipped in accounting. */
const BUSY_RING_SECONDS = 32;

export class WorkerPool {
  private readonly freeAt: Float64Array; // min-heap: when each worker becomes free
  private readonly queuedStarts: Float64Array; // min-heap: start times of requests still waiting
  private queued = 0;
  private readonly busyMsBySecond = new Float64Array(BUSY_RING_SECONDS);
  private readonly admission: Admission = { outcome: "admitted", startMs: 0, dueMs: 0 };

  constructor(private readonly opts: WorkerPoolOptions) {
    this.freeAt = new Float64Array(opts.workers);
    this.queuedStarts = new Float64Array(Math.max(1, opts.maxQueue));
  }

  get workers(): number {
    return this.opts.workers;
  }

  /** Decides one arrival. The returned object is reused: read it before the next call. */
  admit(nowMs: number, serviceClass: ServiceClass): Readonly<Admission> {
    this.dropStarted(nowMs);
    const a = this.admission;
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
    siftDown(this.freeAt, this.freeAt.length, 0);
    if (startMs > nowMs) this.pushQueued(startMs);
    this.accountBusy(startMs, dueMs);
    a.outcome = "admitted";
    a.startMs = startMs;
    a.dueMs = dueMs;
    return a;
  }

  /** Requests admitted but not yet started at nowMs. */
  queueDepth(nowMs: number): number {
    this.dropStarted(nowMs);
    return this.queued;
  }

  busyWorkers(nowMs: number): number {
    let busy = 0;
    for (let i = 0; i < this.freeAt.length; i++) if ((this.freeAt[i] as number) > nowMs) busy++;
    return busy;
  }

  /**
   * Worker-milliseconds of service in second `second` (counted from originMs), then forgets it.
   * Call once per second, after the second has ended.
   */
  takeBusyMs(second: number): number {
    const slot = second % BUSY_RING_SECONDS;
    const busy = this.busyMsBySecond[slot] as number;
    this.busyMsBySecond[slot] = 0;
    return busy;
  }

  private accountBusy(startMs: number, endMs: number): void {
    const origin = this.opts.originMs;
    let from = startMs;
    const lastSecond = Math.floor((startMs - origin) / 1000) + BUSY_RING_SECONDS - 1;
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
