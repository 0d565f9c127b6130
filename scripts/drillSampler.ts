import { readFileSync } from "node:fs";
import { appendFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import type { TimelinePoint } from "../reports/model.ts";
import type { Progress } from "./drillProgress.ts";
import type { K6Process } from "./drillSignals.ts";
import type { DrillVenue } from "./drillVenue.ts";

/**
 * What the drill watches every second while k6 runs: the CPU and memory of the k6 processes and
 * of this process (the exchange's, when the mock runs here) into generator.jsonl, the venue's
 * server timeline into timeline.jsonl, and the progress line.
 */

/** Linux reports process CPU in clock ticks; 100 per second on every mainstream kernel config. */
const CLOCK_TICKS_PER_S = 100;
/** Page size of x86-64 and arm64 Linux defaults, for /proc's rss in pages. */
const PAGE_BYTES = 4096;

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * CPU ticks used so far and resident memory of a process, from /proc, and when they were read;
 * undefined once it has exited. Read synchronously (tens of microseconds) so that `readAtMs` is
 * the moment of the read: the mock exchange shares this event loop, and an asynchronous read
 * resolved a variable few milliseconds to tens of milliseconds later in a burst, which a
 * one-second window then counted as CPU of the wrong second.
 */
function processUsage(pid: number): { ticks: number; rssMb: number; readAtMs: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const readAtMs = performance.now();
    // Fields after the parenthesised command name: utime, stime are fields 14, 15; rss (pages) is 24.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return {
      ticks: Number(fields[11]) + Number(fields[12]),
      rssMb: (Number(fields[21]) * PAGE_BYTES) / 2 ** 20,
      readAtMs,
    };
  } catch {
    return undefined;
  }
}

/** Pulls the venue's server timeline incrementally into timeline.jsonl (nothing without a control plane). */
export class TimelinePuller {
  private lastTimelineS = 0;
  constructor(
    private readonly exchange: Pick<DrillVenue, "control" | "keeper">,
    private readonly timelinePath: string,
  ) {}

  /** The points since the last pull, appended to the file. */
  async pull(): Promise<TimelinePoint[]> {
    const control = this.exchange.control;
    if (control === undefined) return [];
    const { text, identity } = await control.timeline(this.lastTimelineS);
    this.exchange.keeper?.observe(identity);
    const points = text
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as TimelinePoint);
    if (points.length > 0) {
      this.lastTimelineS = (points[points.length - 1] as TimelinePoint).tWallS;
      await appendFile(this.timelinePath, text);
    }
    return points;
  }
}

/** The k6 totals of the whole run (each generator's own are in its record). */
export interface K6Usage {
  cpuSeconds: number;
  rssMbMax: number;
}

export interface SamplerInput {
  procs: readonly K6Process[];
  /** Every k6 process has exited: the sampler stops after its current second. */
  exited: Promise<unknown>;
  /** The mock runs in this process, so this process's CPU is the exchange's. */
  ownExchange: boolean;
  generatorPath: string;
  timeline: TimelinePuller;
  progress: Progress;
  phases: Array<{ name: string; startS: number; endS: number }>;
}

/** One second's k6 figures, summed over the generators. */
interface K6Second {
  cpuCores: number;
  rssMb: number;
  coresByGenerator: number[];
}

/** Samples every second until k6 has exited; resolves with the run's k6 totals. */
export async function sampleWhileK6Runs(input: SamplerInput): Promise<K6Usage> {
  const { procs, progress, phases } = input;
  for (const p of procs) {
    const first = processUsage(p.child.pid ?? -1);
    p.ticks = first?.ticks ?? 0;
    p.readAtMs = first?.readAtMs ?? performance.now();
  }
  const usage: K6Usage = { cpuSeconds: 0, rssMbMax: 0 };
  let selfCpu = process.cpuUsage();
  let selfCpuAtMs = performance.now();
  let running = true;
  let loadStartMs: number | undefined;
  void input.exited.then(() => {
    running = false;
  });
  while (running) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = Date.now();
    const k6 = sampleK6(procs, usage);
    // This process's CPU over its own window, read with the time it was read (as k6's).
    const cpu = process.cpuUsage();
    const cpuAtMs = performance.now();
    const selfCpuS = (cpu.user - selfCpu.user + cpu.system - selfCpu.system) / 1e6;
    const exchangeCpuCores = input.ownExchange ? selfCpuS / ((cpuAtMs - selfCpuAtMs) / 1000) : 0;
    selfCpu = cpu;
    selfCpuAtMs = cpuAtMs;
    await appendFile(
      input.generatorPath,
      `${JSON.stringify({ tsMs: now, k6CpuCores: round2(k6.cpuCores), exchangeCpuCores: round2(exchangeCpuCores), k6RssMb: k6.rssMb, ...(procs.length > 1 ? { k6CpuCoresByGenerator: k6.coresByGenerator } : {}) })}\n`,
    );
    const points = await input.timeline.pull().catch(() => []);
    // The profile's clock starts with the first arrivals, after k6 has initialised its VUs.
    const first = points.find((p) => p.offered > 0);
    if (loadStartMs === undefined && first !== undefined) loadStartMs = first.tsMs - 1000;
    const elapsedS = loadStartMs === undefined ? undefined : (now - loadStartMs) / 1000;
    progress.update(elapsedS, points[points.length - 1], k6.cpuCores, phases);
  }
  return usage;
}

/**
 * Every k6 process's CPU and memory since its last read, summed: the load generator is all of
 * them. Each process's cores are its ticks over the time between its own two reads. Adds to the
 * generators' records and to the run's totals as it goes.
 */
function sampleK6(procs: readonly K6Process[], usage: K6Usage): K6Second {
  let cpuCores = 0;
  let rssMb = 0;
  const coresByGenerator: number[] = [];
  for (const p of procs) {
    const now = processUsage(p.child.pid ?? -1);
    let cores = 0;
    if (now !== undefined) {
      const cpuS = (now.ticks - p.ticks) / CLOCK_TICKS_PER_S;
      const windowS = (now.readAtMs - p.readAtMs) / 1000;
      cores = windowS > 0 ? cpuS / windowS : 0;
      p.g.cpuSeconds += cpuS;
      usage.cpuSeconds += cpuS;
      p.ticks = now.ticks;
      p.readAtMs = now.readAtMs;
      rssMb += now.rssMb;
      p.g.rssMbMax = Math.max(p.g.rssMbMax, Math.round(now.rssMb));
    }
    cpuCores += cores;
    coresByGenerator.push(round2(cores));
  }
  const k6RssMb = Math.round(rssMb);
  usage.rssMbMax = Math.max(usage.rssMbMax, k6RssMb);
  return { cpuCores, rssMb: k6RssMb, coresByGenerator };
}
