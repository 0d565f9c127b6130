import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { basename } from "node:path";
import { constants, createGunzip, type ZlibOptions } from "node:zlib";
import type { WallPhase } from "../loadtests/vocabulary/runFolder.ts";
import { K6CsvIngest } from "./k6CsvIngest.ts";
import type { Ingested } from "./secondTally.ts";

/**
 * Streams k6's raw samples (csv.gz, K6_CSV_TIME_FORMAT=unix_micro) into HDR histograms per
 * second, per class and per phase. Memory grows with seconds x series, not with samples.
 * Latencies are recorded in microseconds; percentiles are only ever read from histograms
 * (merged with `add`), never averaged.
 */

// The reporter's one door to its data: importers keep reading these names from here.
export { splitCsv } from "./csvBytes.ts";
export { K6CsvIngest } from "./k6CsvIngest.ts";
export { MAX_ENDPOINTS, OTHER_ENDPOINT } from "./k6CsvTables.ts";
export { phaseIndex, rollUp } from "./rollUp.ts";
export {
  type Histogram,
  type Ingested,
  newSecondTally,
  type ReasonCounts,
  recordEndpointReject,
  recordLatency,
  recordReject,
  recordStaleAge,
  type SecondTally,
  secondTally,
  type Tally,
} from "./secondTally.ts";
export { latencyHistogram, SparseHistogram } from "./sparse.ts";
export interface IngestOptions {
  /** Bytes per read from disk and per decompressed chunk (tests use tiny ones). */
  chunkBytes?: number;
}

/** Streams k6 csv(.gz) files into per-second tallies; see `K6CsvIngest` for the semantics. */
export async function ingestK6Csv(
  files: string[],
  phases: readonly WallPhase[],
  options: IngestOptions = {},
): Promise<Ingested> {
  const chunkBytes = options.chunkBytes ?? 1 << 18;
  const ingest = new K6CsvIngest();
  const truncatedFiles: string[] = [];
  // Name order, so the shared t0 is the first generator's marker (k6-0.csv.gz) whatever order
  // the directory listing gave.
  for (const file of [...files].sort()) {
    ingest.beginFile();
    let bytes = 0;
    for await (const chunk of openCsv(file, chunkBytes)) {
      bytes += chunk.length;
      ingest.push(chunk);
    }
    const cutRecord = ingest.endFile();
    const cutGzip = file.endsWith(".gz") && !(await gzipTrailerMatches(file, bytes));
    if (cutRecord || cutGzip) truncatedFiles.push(basename(file));
  }
  const ingested = ingest.finish(phases);
  return truncatedFiles.length > 0 ? { ...ingested, truncatedFiles } : ingested;
}

/** Size of a gzip member's header (10) plus trailer (8): nothing shorter is a whole file. */
const GZIP_MIN_BYTES = 18;

/**
 * Whether a gzip file ends with its trailer: the last 4 bytes (ISIZE) are the decompressed size
 * mod 2^32. k6 writes one member and the trailer only when it closes the file, so a k6 killed
 * mid-run leaves a file whose last bytes are deflate data; those equal the size read by chance
 * once in 2^32. The gunzip below reads such a file as far as it goes without an error (zlib's
 * own "unexpected end of file" comes only with Z_FINISH, which drops the last output), hence
 * this check. A file of several gzip members (k6 writes one) is judged by its last member
 * alone, so it would be flagged too.
 */
async function gzipTrailerMatches(file: string, decompressedBytes: number): Promise<boolean> {
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    if (size < GZIP_MIN_BYTES) return false;
    const isize = Buffer.alloc(4);
    await handle.read(isize, 0, 4, size - 4);
    return isize.readUInt32LE(0) === decompressedBytes % 2 ** 32;
  } finally {
    await handle.close();
  }
}

/** The decompressed bytes of a csv or csv.gz file. A truncated gzip ends early, without error. */
function openCsv(file: string, chunkBytes: number): AsyncIterable<Buffer> {
  const source = createReadStream(file, { highWaterMark: Math.max(chunkBytes, 1 << 16) * 4 });
  if (!file.endsWith(".gz")) return source;
  const gunzip = createGunzip({
    finishFlush: constants.Z_SYNC_FLUSH,
    chunkSize: Math.max(chunkBytes, constants.Z_MIN_CHUNK),
    // Let decompression (libuv thread pool) run ahead of the parse (this thread).
    readableHighWaterMark: 1 << 22,
  } as ZlibOptions);
  source.on("error", (err) => gunzip.destroy(err));
  return source.pipe(gunzip);
}
