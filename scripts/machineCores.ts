import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

/**
 * Cores this process may really use: the CPUs the OS lets it run on (`os.availableParallelism()`)
 * and, inside a container, the CPU quota of its cgroup, the smaller one. A CI runner often sees
 * the host's CPUs but is throttled to its quota, so counting CPUs alone would call a saturated
 * runner idle. A drill records the figure in run.json (`machine`), and the summary's bottleneck
 * rule divides by it.
 */

export interface MachineCores {
  /** The smaller of the two figures below (cgroup absent or unlimited: the CPUs). */
  cores: number;
  availableParallelism: number;
  /** The cgroup's CPU quota in cores; null when there is none or it is unlimited. */
  cgroupQuotaCores: number | null;
}

/** Cores of a quota of `quotaUs` per `periodUs`; null when unlimited or not a quota. */
function quotaCores(quotaUs: number, periodUs: number): number | null {
  if (!Number.isFinite(quotaUs) || !Number.isFinite(periodUs) || quotaUs <= 0 || periodUs <= 0) return null;
  return Math.round((quotaUs / periodUs) * 1000) / 1000;
}

/** cgroup v2 `cpu.max`: "<quota> <period>" or "max <period>"; null when unlimited or unreadable. */
export function parseCpuMax(text: string): number | null {
  const [quota, period] = text.trim().split(/\s+/u);
  if (quota === undefined || quota === "max" || period === undefined) return null;
  return quotaCores(Number(quota), Number(period));
}

/** cgroup v1 `cpu.cfs_quota_us` and `cpu.cfs_period_us` (-1 quota: unlimited); null when none. */
export function parseCfsQuota(quotaText: string, periodText: string): number | null {
  return quotaCores(Number(quotaText.trim()), Number(periodText.trim()));
}

/** Reads a file's text, or undefined when it cannot be read (no cgroup, another version). */
export type ReadText = (path: string) => string | undefined;

const readText: ReadText = (path) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
};

/** The cgroup's quota in cores: v2 first, then v1; null when neither limits the CPU. */
export function cgroupQuotaCores(read: ReadText = readText): number | null {
  const v2 = read("/sys/fs/cgroup/cpu.max");
  if (v2 !== undefined) return parseCpuMax(v2);
  for (const dir of ["/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"]) {
    const quota = read(`${dir}/cpu.cfs_quota_us`);
    const period = read(`${dir}/cpu.cfs_period_us`);
    if (quota !== undefined && period !== undefined) return parseCfsQuota(quota, period);
  }
  return null;
}

/** The cores of this machine as a drill may use them (see the module comment). */
export function machineCores(read: ReadText = readText, cpus: number = availableParallelism()): MachineCores {
  const quota = cgroupQuotaCores(read);
  return {
    cores: quota === null ? cpus : Math.min(cpus, quota),
    availableParallelism: cpus,
    cgroupQuotaCores: quota,
  };
}
