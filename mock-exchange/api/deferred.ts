/**
 * Responses held back until the capacity model says they are done. One shared timer armed for
 * the earliest due time replaces a timer per request (docs/architecture.md "Hot paths").
 */

export interface Due {
  dueMs: number;
}

export class DeferredQueue<T extends Due> {
  /** Responses in flight: bounded by what the capacity model admits (workers + maxQueue per tier, each out by its timeout). */
  private readonly heap: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private armedForMs = Number.POSITIVE_INFINITY;

  constructor(
    private readonly now: () => number,
    private readonly fire: (item: T) => void,
  ) {}

  get size(): number {
    return this.heap.length;
  }

  push(item: T): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as T).dueMs <= item.dueMs) break;
      heap[i] = heap[parent] as T;
      i = parent;
    }
    heap[i] = item;
    if (item.dueMs < this.armedForMs) this.arm(item.dueMs);
  }

  /** Fires everything due, in due order, then re-arms for the next. */
  private readonly drain = (): void => {
    this.timer = undefined;
    this.armedForMs = Number.POSITIVE_INFINITY;
    const now = this.now();
    while (this.heap.length > 0 && (this.heap[0] as T).dueMs <= now) {
      this.fire(this.pop());
    }
    if (this.heap.length > 0) this.arm((this.heap[0] as T).dueMs);
  };

  /** Drops everything without firing (shutdown). */
  clear(): T[] {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedForMs = Number.POSITIVE_INFINITY;
    return this.heap.splice(0);
  }

  private arm(dueMs: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.armedForMs = dueMs;
    this.timer = setTimeout(this.drain, Math.max(0, dueMs - this.now()));
  }

  private pop(): T {
    const heap = this.heap;
    const top = heap[0] as T;
    const last = heap.pop() as T;
    if (heap.length > 0) {
      let i = 0;
      const size = heap.length;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= size) break;
        const right = left + 1;
        let child = left;
        if (right < size && (heap[right] as T).dueMs < (heap[left] as T).dueMs) child = right;
        if ((heap[child] as T).dueMs >= last.dueMs) break;
        heap[i] = heap[child] as T;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}
