import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type K6DrillPlan, k6PlanProblems } from "../../loadtests/lib/k6Plan.ts";
import { K6_BUNDLE_FILE } from "../../scripts/drillBundle.ts";
import { toolsDir } from "../../scripts/k6.ts";
import { buildK8sManifests, RESULTS_MOUNT, writeK8s } from "../../scripts/k8s.ts";
import { resolveProfile } from "../../scripts/profileSource.ts";

/**
 * Field names of k6-operator's TestRun CRD (k6.io/v1alpha1, grafana/k6-operator
 * config/crd/bases/k6.io_testruns.yaml and docs/crd-generated.md): spec, spec.script and the
 * runner Pod. A manifest using a name outside these would be rejected or silently ignored.
 */
const TESTRUN_SPEC_FIELDS = new Set([
  "arguments",
  "cleanup",
  "initializer",
  "parallelism",
  "paused",
  "ports",
  "quiet",
  "runner",
  "script",
  "scuttle",
  "separate",
  "starter",
  "testRunId",
  "token",
]);
const SCRIPT_FIELDS = new Set(["configMap", "volumeClaim", "localFile"]);
const CONFIGMAP_SCRIPT_FIELDS = new Set(["name", "file"]);
const RUNNER_POD_FIELDS = new Set([
  "affinity",
  "automountServiceAccountToken",
  "containerSecurityContext",
  "env",
  "envFrom",
  "image",
  "imagePullPolicy",
  "imagePullSecrets",
  "initContainers",
  "livenessProbe",
  "metadata",
  "nodeSelector",
  "priorityClassName",
  "readinessProbe",
  "resources",
  "securityContext",
  "serviceAccountName",
  "tolerations",
  "topologySpreadConstraints",
  "volumeMounts",
  "volumes",
]);

describe("stampede k8s: k6-operator TestRun and the script's ConfigMap", () => {
  it("writes a TestRun with the CRD's field names and types", async () => {
    const { testRun, configMap, run } = await buildK8sManifests({
      profile: resolveProfile("smoke"),
      parallelism: 4,
      outDir: "unused",
      target: "http://venue:8080",
    });
    expect(testRun.apiVersion).toBe("k6.io/v1alpha1");
    expect(testRun.kind).toBe("TestRun");
    expect(testRun.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    for (const k of Object.keys(testRun.spec)) expect(TESTRUN_SPEC_FIELDS.has(k), `spec.${k}`).toBe(true);
    expect(testRun.spec.parallelism).toBe(4);
    for (const k of Object.keys(testRun.spec.script))
      expect(SCRIPT_FIELDS.has(k), `spec.script.${k}`).toBe(true);
    for (const k of Object.keys(testRun.spec.script.configMap))
      expect(CONFIGMAP_SCRIPT_FIELDS.has(k), `spec.script.configMap.${k}`).toBe(true);
    expect(testRun.spec.script.configMap.name).toBe((configMap.metadata as { name: string }).name);
    expect(typeof testRun.spec.arguments).toBe("string");
    for (const k of Object.keys(testRun.spec.runner))
      expect(RUNNER_POD_FIELDS.has(k), `spec.runner.${k}`).toBe(true);

    // k6's own aggregates on the shared volume, named by each runner's execution segment.
    expect(testRun.spec.arguments).toMatch(/--out stampede=\/results(\s|$)/);
    expect(testRun.spec.runner.image).toBe("stampede-k6:1.8.1");
    expect(testRun.spec.arguments).not.toMatch(/--address|--execution-segment/); // the operator's
    const env = new Map(testRun.spec.runner.env.map((e) => [e.name, e]));
    expect(env.get("POD_NAME")?.valueFrom).toEqual({ fieldRef: { fieldPath: "metadata.name" } });
    expect(env.get("K6_CSV_TIME_FORMAT")?.value).toBe("unix_micro");
    expect(env.get("STAMPEDE_BASE_URL")?.value).toBe("http://venue:8080");
    // The plan travels in the ConfigMap, where the operator mounts it.
    expect(env.get("STAMPEDE_PLAN_FILE")?.value).toBe("/test/k6-plan.json");
    const k6Plan = JSON.parse(configMap.data["k6-plan.json"] as string) as K6DrillPlan;
    expect(k6Plan.profile).toBe("smoke");
    expect(k6PlanProblems(k6Plan)).toEqual([]);
    expect(Object.keys(k6Plan.scenarios).sort()).toEqual(["depth", "order", "position"]);
    // No redirect followed; the control token from a Secret, never a value in the manifest.
    expect(env.get("K6_MAX_REDIRECTS")?.value).toBe("0");
    expect(env.get("STAMPEDE_CONTROL_TOKEN")?.value).toBeUndefined();
    expect(env.get("STAMPEDE_CONTROL_TOKEN")?.valueFrom).toEqual({
      secretKeyRef: { name: "stampede-control-token", key: "token", optional: true },
    });
    for (const e of testRun.spec.runner.env) {
      expect(e.name).toMatch(/^[A-Z_][A-Z0-9_]*$/);
      expect((e.value === undefined) !== (e.valueFrom === undefined), e.name).toBe(true);
      if (e.value !== undefined) expect(typeof e.value).toBe("string");
    }
    const volumes = (testRun.spec.runner.volumes as Array<{ name: string }>).map((v) => v.name);
    for (const m of testRun.spec.runner.volumeMounts) expect(volumes).toContain(m.name);
    expect(testRun.spec.runner.volumeMounts.map((m) => m.mountPath)).toContain(RESULTS_MOUNT);

    // run.json of the collection folder: what `stampede report` needs to merge the runners' files.
    expect((run.plan as { phases: unknown[] }).phases.length).toBeGreaterThan(0);
    expect(run.mode).toBe("k8s");
  });

  it("ships the drill script bundled as a drill runs it, the plan's entry, beside the plan", async () => {
    const smokeManifests = await buildK8sManifests({
      profile: resolveProfile("smoke"),
      parallelism: 2,
      outDir: "x",
    });
    const { configMap, testRun } = smokeManifests;
    expect(configMap.kind).toBe("ConfigMap");
    expect(Object.keys(configMap.data).sort()).toEqual([K6_BUNDLE_FILE, "k6-plan.json"]);
    expect(testRun.spec.script.configMap.file).toBe(K6_BUNDLE_FILE);
    const script = configMap.data[K6_BUNDLE_FILE] as string;
    // One module: every import is a k6 module, none relative.
    const imports = [...script.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
    expect(imports.length).toBeGreaterThan(0);
    for (const spec of imports) expect(spec).toMatch(/^k6(\/|$)/);
    // The same bundle a local drill runs: no watchers in smoke, so no WebSocket module.
    expect(smokeManifests.entry).toMatch(/loadtests\/drillRequests\.ts$/);
    expect(script).not.toMatch(/from "k6\/websockets"/);
    const cascade = await buildK8sManifests({
      profile: resolveProfile("liquidation-cascade-2025-10-10"),
      parallelism: 2,
      outDir: "x",
    });
    expect(cascade.entry).toMatch(/loadtests\/drill\.ts$/);
    expect(cascade.configMap.data[K6_BUNDLE_FILE]).toMatch(/function liquidationWatchers\b/);
    expect(Buffer.byteLength(JSON.stringify(cascade.configMap.data))).toBeLessThan(1_000_000);
  });

  it("the ConfigMap's folder, as k6-operator mounts it, loads in k6 (every import resolves)", async () => {
    const k6 = join(toolsDir(), "k6");
    if (!existsSync(k6)) return; // k6 is ensured by `npm test` (pretest); nothing to run here without it
    const out = mkdtempSync(join(tmpdir(), "stampede-k8s-"));
    await writeK8s({ profile: resolveProfile("airdrop-herd"), parallelism: 2, outDir: out });
    const cm = JSON.parse(readFileSync(join(out, "manifests", "configmap.json"), "utf8")) as {
      data: Record<string, string>;
    };
    const mount = mkdtempSync(join(tmpdir(), "stampede-k8s-test-"));
    for (const [key, text] of Object.entries(cm.data)) writeFileSync(join(mount, key), text);
    const inspected = execFileSync(
      k6,
      ["inspect", "-e", `STAMPEDE_PLAN_FILE=${join(mount, "k6-plan.json")}`, join(mount, K6_BUNDLE_FILE)],
      { env: { ...process.env, K6_NO_USAGE_REPORT: "true" }, encoding: "utf8" },
    );
    expect(Object.keys((JSON.parse(inspected) as { scenarios: object }).scenarios).sort()).toEqual([
      "depth",
      "order",
      "position",
    ]);
    for (const f of ["configmap.json", "pvc.json", "testrun.json"])
      expect(existsSync(join(out, "manifests", f))).toBe(true);
    expect(existsSync(join(out, "run.json"))).toBe(true);
  });

  it("rejects a bad parallelism and an unknown profile", async () => {
    await expect(
      buildK8sManifests({ profile: resolveProfile("smoke"), parallelism: 0, outDir: "x" }),
    ).rejects.toThrow(/--parallelism/);
    expect(() => buildK8sManifests({ profile: resolveProfile("nope"), parallelism: 2, outDir: "x" })).toThrow(
      /unknown profile/,
    );
  });
});
