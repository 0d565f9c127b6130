import { describe, expect, it } from "vitest";
import { DEFAULT_MACHINE_CORES, machineCoresOf } from "../../reports/summary.ts";
import { cgroupQuotaCores, machineCores, parseCfsQuota, parseCpuMax } from "../../scripts/machineCores.ts";

describe("machine cores: CPUs and the cgroup quota, the smaller wins", () => {
  it("parses cgroup v2 cpu.max", () => {
    expect(parseCpuMax("150000 100000\n")).toBe(1.5);
    expect(parseCpuMax("200000 100000")).toBe(2);
    expect(parseCpuMax("max 100000\n")).toBeNull();
    expect(parseCpuMax("")).toBeNull();
    expect(parseCpuMax("garbage")).toBeNull();
    expect(parseCpuMax("0 100000")).toBeNull();
  });

  it("parses cgroup v1 cfs quota and period", () => {
    expect(parseCfsQuota("50000\n", "100000\n")).toBe(0.5);
    expect(parseCfsQuota("-1\n", "100000\n")).toBeNull();
    expect(parseCfsQuota("x", "100000")).toBeNull();
  });

  it("prefers v2, falls back to v1, and takes the smaller of quota and CPUs", () => {
    const files = (m: Record<string, string>) => (p: string) => m[p];
    expect(cgroupQuotaCores(files({ "/sys/fs/cgroup/cpu.max": "100000 100000" }))).toBe(1);
    const v1 = files({
      "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "300000",
      "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000",
    });
    expect(cgroupQuotaCores(v1)).toBe(3);
    expect(machineCores(v1, 8)).toEqual({ cores: 3, availableParallelism: 8, cgroupQuotaCores: 3 });
    expect(machineCores(v1, 2)).toEqual({ cores: 2, availableParallelism: 2, cgroupQuotaCores: 3 });
    expect(machineCores(files({}), 4)).toEqual({ cores: 4, availableParallelism: 4, cgroupQuotaCores: null });
    expect(machineCores(files({ "/sys/fs/cgroup/cpu.max": "max 100000" }), 4).cores).toBe(4);
  });

  it("the summary uses run.json machine.cores, 2 for runs without it", () => {
    expect(machineCoresOf({ machine: { cores: 1.5 } })).toBe(1.5);
    expect(machineCoresOf({})).toBe(DEFAULT_MACHINE_CORES);
    expect(machineCoresOf({ machine: { cores: "many" } })).toBe(2);
    expect(machineCoresOf(undefined)).toBe(2);
  });
});
