import { bytesEqual } from "./csvBytes.ts";

/** The lookup tables of the k6 csv ingest: metric names (by hash) and endpoint names (by id). */

export const K_SKIP = 0;
export const K_DURATION = 1;
export const K_REJECTS = 2;
export const K_STALE = 3;
export const K_STALE_AGE = 4;
export const K_DROPPED = 5;
export const K_SETUP_DONE = 6;

/** The metrics the reporter reads, by kind; every other metric is only counted. */
export const KINDS = new Map<string, number>([
  ["http_req_duration", K_DURATION],
  ["stampede_rejects", K_REJECTS],
  ["stampede_stale_read", K_STALE],
  ["stampede_stale_read_age_ms", K_STALE_AGE],
  ["dropped_iterations", K_DROPPED],
  ["stampede_setup_done", K_SETUP_DONE],
]);

/** Distinct endpoints kept per run; further names are counted under OTHER_ENDPOINT. */
export const MAX_ENDPOINTS = 200;
export const OTHER_ENDPOINT = "(other)";
/** Endpoints compared byte by byte (a drill has four); later ones are looked up by string. */
const LINEAR_ENDPOINTS = 16;

/** Endpoint names (k6's `name` tag) by id. */
export class EndpointTable {
  private readonly bytes: Uint8Array[] = [];
  readonly names: string[] = [];
  private readonly byName = new Map<string, number>();

  /** The id of the endpoint named bytes[a, b) (a < b), added when new. */
  id(buf: Buffer, a: number, b: number): number {
    const bytes = this.bytes;
    const n = bytes.length < LINEAR_ENDPOINTS ? bytes.length : LINEAR_ENDPOINTS;
    for (let i = 0; i < n; i++) if (bytesEqual(buf, a, b, bytes[i] as Uint8Array)) return i;
    return this.idOf(buf.toString("utf8", a, b));
  }

  /** The id of an endpoint name, added when new (OTHER_ENDPOINT's once MAX_ENDPOINTS are known). */
  idOf(name: string): number {
    const known = this.byName.get(name);
    if (known !== undefined) return known;
    if (this.names.length >= MAX_ENDPOINTS && name !== OTHER_ENDPOINT) return this.idOf(OTHER_ENDPOINT);
    const id = this.names.length;
    this.names.push(name);
    this.bytes.push(Buffer.from(name, "utf8"));
    this.byName.set(name, id);
    return id;
  }
}

/** Metric names seen, by the bytes of the name: open addressing on a 31-multiplier hash. */
export class MetricTable {
  private slots = new Int32Array(64).fill(-1);
  readonly names: Uint8Array[] = [];
  readonly hashes: number[] = [];
  readonly kinds: number[] = [];
  readonly counts: number[] = [];

  /** The id of the name bytes[a, b) whose hash is h, added when new. */
  id(bytes: Uint8Array, a: number, b: number, h: number): number {
    const mask = this.slots.length - 1;
    let s = h & mask;
    for (;;) {
      const e = this.slots[s] as number;
      if (e < 0) return this.add(bytes.slice(a, b), h);
      if (this.hashes[e] === h) {
        const name = this.names[e] as Uint8Array;
        if (bytesEqual(bytes, a, b, name)) return e;
      }
      s = (s + 1) & mask;
    }
  }

  private add(name: Uint8Array, h: number): number {
    const e = this.names.length;
    this.names.push(name);
    this.hashes.push(h);
    this.kinds.push(KINDS.get(Buffer.from(name).toString("utf8")) ?? K_SKIP);
    this.counts.push(0);
    if (this.names.length * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(e);
    return e;
  }

  private place(e: number): void {
    const mask = this.slots.length - 1;
    let s = (this.hashes[e] as number) & mask;
    while ((this.slots[s] as number) >= 0) s = (s + 1) & mask;
    this.slots[s] = e;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size).fill(-1);
    for (let e = 0; e < this.names.length; e++) this.place(e);
  }
}
