import type { TimelinePoint } from "../reports/model.ts";

/** How the drill shows its progress: a live terminal line, plain log lines, or nothing. */
export type ProgressMode = "tty" | "plain" | "none";

/** The live line on a terminal; a plain line every few seconds elsewhere (CI logs). */
export class Progress {
  private lastPlainS = -Infinity;
  constructor(
    private readonly mode: ProgressMode,
    private readonly totalS: number,
    private readonly log: (line: string) => void,
  ) {}

  update(
    elapsedS: number | undefined,
    point: TimelinePoint | undefined,
    k6CpuCores: number,
    phases: Array<{ name: string; startS: number; endS: number }>,
  ): void {
    if (this.mode === "none") return;
    if (elapsedS === undefined) {
      if (this.mode === "tty")
        process.stderr.write(`\rstarting k6 (initialising VUs; k6 cpu ${k6CpuCores.toFixed(2)})\x1b[K`);
      return;
    }
    const phase = phases.find((p) => elapsedS >= p.startS && elapsedS < p.endS)?.name ?? "finishing";
    const rejected =
      point === undefined ? 0 : Object.values(point.rejected).reduce((a, b) => a + (b ?? 0), 0);
    const line =
      `[${fmt(elapsedS, 4)}s/${Math.round(this.totalS)}s] ${phase.padEnd(9)} offered ${fmt(point?.offered ?? 0, 5)}/s  ` +
      `server p99 ${point?.serverP99Ms == null ? "    -" : fmt(point.serverP99Ms, 5)} ms  rejects ${fmt(rejected, 5)}/s  ` +
      `queue ${fmt(point?.queueDepthMax ?? 0, 3)}  replica lag ${fmt(point?.replicaLagMs ?? 0, 6)} ms  k6 cpu ${k6CpuCores.toFixed(2)}`;
    if (this.mode === "tty") {
      process.stderr.write(`\r${line}\x1b[K`);
    } else if (elapsedS - this.lastPlainS >= 5) {
      this.lastPlainS = elapsedS;
      this.log(line);
    }
  }

  done(): void {
    if (this.mode === "tty") process.stderr.write("\n");
  }
}

function fmt(x: number, width: number): string {
  return String(Math.round(x)).padStart(width);
}
