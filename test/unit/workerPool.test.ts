import { describe, expect, it } from "vitest";
import { seededRandom } from "../../loadtests/vocabulary/random.ts";
import { WorkerPool } from "../../mock-exchange/capacity/workerPool.ts";
import type { ServiceClass } from "../../mock-exchange/defaults.ts";

const constant = (ms: number): Record<ServiceClass, number> => ({
  order: ms,
  position: ms,
  depth: ms,
  other: ms,
});

function pool(workers: number, serviceMs: number, queueTimeoutMs = 1_000, maxQueue = 100) {
  // Minimum = mean: the exponential tail is 0, so service times are exactly serviceMs.
  return new WorkerPool({
    workers,
    serviceTimeMs: constant(serviceMs),
    serviceTimeMinMs: constant(serviceMs),
    queueTimeoutMs,
    maxQueue,
    random: seededRandom(1),
    originMs: 0,
  });
}

describe("WorkerPool (FIFO queue in front of c workers)", () => {
  it("serves at once while a worker is free, then queues in arrival order", () => {
    const p = pool(2, 10);
    const due = [0, 0, 0, 0].map(() => ({ ...p.admit(0, "order") }));
    expect(due.map((a) => a.outcome)).toEqual(["admitted", "admitted", "admitted", "admitted"]);
    expect(due.map((a) => a.startMs)).toEqual([0, 0, 10, 10]);
    expect(due.map((a) => a.dueMs)).toEqual([10, 10, 20, 20]);
    expect(p.queueDepth(0)).toBe(2);
    expect(p.queueDepth(10)).toBe(0);
    expect(p.busyWorkers(15)).toBe(2);
    expect(p.busyWorkers(20)).toBe(0);
  });

  it("answers a timeout when the wait would exceed the queue timeout, without using a worker", () => {
    const p = pool(1, 100, 150);
    expect(p.admit(0, "order").outcome).toBe("admitted"); // 0-100
    expect(p.admit(0, "order").outcome).toBe("admitted"); // waits 100: 100-200
    const third = p.admit(0, "order"); // would wait 200 > 150
    expect(third.outcome).toBe("timeout");
    expect(third.dueMs).toBe(150);
    expect(p.admit(60, "order").startMs).toBe(200); // the timed-out request took no capacity
  });

  it("sheds at once when the queue is full", () => {
    const p = pool(1, 10, 10_000, 2);
    p.admit(0, "order");
    p.admit(0, "order");
    p.admit(0, "order");
    const shed = p.admit(0, "order");
    expect(shed.outcome).toBe("overloaded");
    expect(shed.dueMs).toBe(0);
  });

  it("accounts busy worker-time per second, split across second boundaries", () => {
    const p = pool(1, 400);
    p.admit(800, "order"); // 800-1200: 200 ms in second 0, 200 ms in second 1
    expect(p.takeBusyMs(0)).toBe(200);
    expect(p.takeBusyMs(1)).toBe(200);
    expect(p.takeBusyMs(1)).toBe(0);
  });

  it("draws service times as minimum + exponential tail with the configured mean", () => {
    const p = new WorkerPool({
      workers: 1_000_000,
      serviceTimeMs: constant(10),
      serviceTimeMinMs: constant(4),
      queueTimeoutMs: 1,
      maxQueue: 1,
      random: seededRandom(7),
      originMs: 0,
    });
    let sum = 0;
    let min = Number.POSITIVE_INFINITY;
    const n = 50_000;
    for (let i = 0; i < n; i++) {
      const a = p.admit(0, "position");
      sum += a.dueMs - a.startMs;
      min = Math.min(min, a.dueMs - a.startMs);
    }
    expect(min).toBeGreaterThanOrEqual(4);
    expect(sum / n).toBeGreaterThan(9.8);
    expect(sum / n).toBeLessThan(10.2);
  });

  it("grows: new workers are free at the time of the change", () => {
    const p = pool(1, 10);
    p.admit(0, "order"); // 0-10
    expect(p.admit(0, "order").startMs).toBe(10); // queued behind the only worker: 10-20
    p.setWorkers(3, 5);
    expect(p.workers).toBe(3);
    const a = { ...p.admit(5, "order") };
    expect(a).toEqual({ outcome: "admitted", startMs: 5, dueMs: 15 });
    expect(p.admit(6, "order").startMs).toBe(6);
    // All three busy now (till 20, 15, 16): the next goes to the one free first.
    expect(p.admit(7, "order").startMs).toBe(15);
  });

  it("shrinks by removing the workers that free up last; admitted requests keep their times", () => {
    const p = pool(3, 10);
    p.admit(0, "order"); // worker A 0-10
    p.admit(2, "order"); // worker B 2-12
    p.admit(4, "order"); // worker C 4-14
    p.setWorkers(1, 5); // C and B go: A (free at 10) stays
    expect(p.workers).toBe(1);
    expect(p.busyWorkers(5)).toBe(1);
    expect(p.admit(5, "order").startMs).toBe(10);
    // The removed workers' work still counts as busy time.
    expect(p.takeBusyMs(0)).toBe(40);
  });

  it("answers unavailable with no workers, keeps the queue of admitted requests, recovers on growth", () => {
    const p = pool(1, 10);
    p.admit(0, "order");
    p.admit(0, "order"); // waits till 10
    p.setWorkers(0, 1);
    expect(p.workers).toBe(0);
    const u = p.admit(2, "order");
    expect(u.outcome).toBe("unavailable");
    expect(u.dueMs).toBe(2);
    expect(p.queueDepth(3)).toBe(1); // the admitted one still starts at 10
    expect(p.busyWorkers(3)).toBe(0);
    p.setWorkers(2, 4);
    expect({ ...p.admit(4, "order") }).toEqual({ outcome: "admitted", startMs: 4, dueMs: 14 });
  });

  it("grows past the pre-sized maximum and rejects a bad worker count", () => {
    const p = new WorkerPool({
      workers: 1,
      maxWorkers: 2,
      serviceTimeMs: constant(10),
      serviceTimeMinMs: constant(10),
      queueTimeoutMs: 100,
      maxQueue: 10,
      random: seededRandom(1),
      originMs: 0,
    });
    p.setWorkers(5, 0);
    for (let i = 0; i < 5; i++) expect(p.admit(0, "order").startMs).toBe(0);
    expect(p.admit(0, "order").startMs).toBe(10);
    expect(() => p.setWorkers(-1, 0)).toThrow(RangeError);
    expect(() => p.setWorkers(1.5, 0)).toThrow(RangeError);
  });

  it("supports an unbounded queue without a timeout (the heap grows on demand)", () => {
    const p = pool(1, 1, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);
    const n = 5_000;
    let last = 0;
    for (let i = 0; i < n; i++) {
      const a = p.admit(0, "order");
      expect(a.outcome).toBe("admitted");
      last = a.startMs;
    }
    expect(last).toBe(n - 1);
    expect(p.queueDepth(0)).toBe(n - 1);
    expect(p.queueDepth(2_500)).toBe(n - 1 - 2_500);
  });

  it("keeps busy time per second over the current workers after a change", () => {
    const p = pool(2, 500);
    p.admit(0, "order"); // 0-500
    p.admit(0, "order"); // 0-500
    p.setWorkers(4, 600);
    for (let i = 0; i < 4; i++) p.admit(600, "order"); // 4 x 600-1100: 400 ms each in second 0
    expect(p.takeBusyMs(0)).toBe(1_000 + 1_600);
    expect(p.takeBusyMs(1)).toBe(400);
  });
});
