import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { createGzip } from "node:zlib";

/**
 * The ingest benchmark's input: a synthetic k6 `--out csv=....csv.gz` file, so the benchmark
 * needs no k6 run and measures the same rows every time (same seed, same file).
 */

const CSV_HEADER =
  "metric_name,timestamp,metric_value,error_code,expected_response,method,name,scenario,status,extra_tags,metadata\n";

/** The samples k6 writes per HTTP request, in its order. */
const HTTP_METRICS = [
  "http_reqs",
  "http_req_duration",
  "http_req_blocked",
  "http_req_connecting",
  "http_req_tls_handshaking",
  "http_req_sending",
  "http_req_waiting",
  "http_req_receiving",
  "http_req_failed",
];

/** Rows are buffered and handed to gzip about a MiB at a time (fewer, larger writes). */
const FLUSH_CHARS = 1 << 20;

/**
 * Writes a k6 `--out csv=....csv.gz` file (K6_CSV_TIME_FORMAT=unix_micro) of about `rows` rows,
 * shaped like a real drill's (runs/*smoke*): per request the 9 http_req* samples (with
 * error_code/status for 429 and 503), a stampede_rejects row for each reject, stale-read checks
 * on position reads, 4 iteration samples per iteration, vus/vus_max each second and a few
 * dropped_iterations. Status mix as in a smoke run: 11% 200, 61% 429, 28% 503. 2,500 requests/s.
 */
export async function writeSyntheticK6Csv(
  file: string,
  rows: number,
  seed: number,
): Promise<{ rows: number; requests: number }> {
  const gzip = createGzip({ level: 6 });
  const out = gzip.pipe(createWriteStream(file));
  const csv = new SyntheticK6Rows(mulberry32(seed));
  while (csv.rows < rows) {
    csv.iteration();
    if (csv.bufferedChars > FLUSH_CHARS && !gzip.write(csv.take())) await once(gzip, "drain");
  }
  if (!gzip.write(csv.take())) await once(gzip, "drain");
  gzip.end();
  await once(out, "finish");
  return { rows: csv.rows, requests: csv.requests };
}

/** Mulberry32: a small seeded generator, so the same seed writes the same file. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function f6(x: number): string {
  return x.toFixed(6);
}

/**
 * The rows of the file, one iteration at a time, buffered until taken. Every draw of `rand` is
 * in a fixed order, so a seed gives the same rows.
 */
class SyntheticK6Rows {
  /** Rows emitted (the header excluded). */
  rows = 0;
  requests = 0;
  private tUs = 1_795_453_571_518_272;
  private nextSecondUs = this.tUs;
  private readonly lines: string[] = [CSV_HEADER];
  private size = CSV_HEADER.length;

  constructor(private readonly rand: () => number) {
    this.emit(`stampede_setup_done,${this.tUs},1.000000,,,,,,,,\n`);
  }

  get bufferedChars(): number {
    return this.size;
  }

  /** The buffered text; the buffer is emptied. */
  take(): string {
    const text = this.lines.join("");
    this.lines.length = 0;
    this.size = 0;
    return text;
  }

  /** One iteration of a class picked by the smoke mix (50% position, 28% order, 22% depth). */
  iteration(): void {
    const rand = this.rand;
    this.secondMarkers();
    const r = rand();
    let scenario: string;
    let cls: string;
    let ms: number;
    if (r < 0.5) {
      scenario = "position";
      cls = "position";
      ms = this.request("GET", "GET /fapi/v2/positionRisk", scenario, cls);
    } else if (r < 0.78) {
      scenario = "order";
      cls = "order";
      ms = this.request(
        rand() < 0.92 ? "POST" : "DELETE",
        rand() < 0.92 ? "POST /fapi/v1/order" : "DELETE /fapi/v1/order",
        scenario,
        cls,
      );
      // An order's read-back of its position, in the same iteration.
      if (rand() < 0.1) ms += this.request("GET", "GET /fapi/v2/positionRisk", scenario, "position");
    } else {
      scenario = "depth";
      cls = "depth";
      ms = this.request("GET", "GET /fapi/v1/depth", scenario, cls);
    }
    const it = `,,,,,${scenario},,class=${cls},\n`;
    const atUs = this.tUs + 150;
    this.emit(`data_sent,${atUs},${Math.floor(200 + rand() * 300)}.000000${it}`);
    this.emit(`data_received,${atUs},${Math.floor(300 + rand() * 700)}.000000${it}`);
    this.emit(`iteration_duration,${atUs},${f6(ms + 0.5)}${it}`);
    this.emit(`iterations,${atUs},1.000000${it}`);
  }

  private emit(line: string): void {
    this.lines.push(line);
    this.size += line.length;
    this.rows++;
  }

  /** What k6 writes once a second: VUs, and now and then dropped iterations. */
  private secondMarkers(): void {
    if (this.tUs < this.nextSecondUs) return;
    const rand = this.rand;
    this.emit(`vus,${this.tUs},${Math.floor(50 + rand() * 500)}.000000,,,,,,,,\n`);
    this.emit(`vus_max,${this.tUs},1740.000000,,,,,,,,\n`);
    if (rand() < 0.05)
      this.emit(
        `dropped_iterations,${this.tUs},${Math.floor(1 + rand() * 20)}.000000,,,,,position,,class=position,\n`,
      );
    this.nextSecondUs += 1_000_000;
  }

  /** One request: its HTTP samples, then its reject or stale-read check. Returns its duration (ms). */
  private request(method: string, name: string, scenario: string, cls: string): number {
    const rand = this.rand;
    this.tUs += Math.floor(rand() * 800);
    const r = rand();
    const status = r < 0.11 ? 200 : r < 0.72 ? 429 : 503;
    const ok = status === 200;
    const durMs = ok ? 5 + 40 * -Math.log(1 - rand()) : 0.3 + 2 * rand();
    const tail = `,${ok ? "" : status + 1000},true,${method},${name},${scenario},${status},class=${cls},\n`;
    const blocked = rand() * 0.3;
    const sending = rand() * 0.1;
    const receiving = rand() * 0.1;
    const values = [
      1,
      durMs,
      blocked,
      rand() < 0.05 ? blocked * 0.7 : 0,
      0,
      sending,
      durMs - sending - receiving,
      receiving,
      0,
    ];
    for (let i = 0; i < HTTP_METRICS.length; i++)
      this.emit(`${HTTP_METRICS[i]},${this.tUs},${f6(values[i] as number)}${tail}`);
    this.requests++;
    if (!ok) this.reject(status, scenario, cls);
    else if (cls === "position" && rand() < 0.3) this.staleReadCheck(scenario);
    return durMs;
  }

  /** The stampede_rejects row of a refused request, its tags in either order (k6 keeps no order). */
  private reject(status: number, scenario: string, cls: string): void {
    const rand = this.rand;
    const reason = status === 429 ? "rate_limited" : rand() < 0.1 ? "timeout" : "overloaded";
    const tags = rand() < 0.5 ? `reason=${reason}&class=${cls}` : `class=${cls}&reason=${reason}`;
    this.emit(`stampede_rejects,${this.tUs + 80},1.000000,,,,,${scenario},,${tags},\n`);
  }

  /** A stale-read check after a position read; 30% of them stale, with the stale age. */
  private staleReadCheck(scenario: string): void {
    const rand = this.rand;
    const stale = rand() < 0.3;
    const atUs = this.tUs + 90;
    this.emit(
      `stampede_stale_read,${atUs},${stale ? "1.000000" : "0.000000"},,,,,${scenario},,class=position,\n`,
    );
    if (stale)
      this.emit(
        `stampede_stale_read_age_ms,${atUs},${f6(1 + rand() * 3000)},,,,,${scenario},,class=position,\n`,
      );
  }
}
