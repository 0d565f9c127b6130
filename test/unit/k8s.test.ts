import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type K6DrillPlan, k6PlanProblems } from "../../loadtests/lib/k6Plan.ts";
import { toolsDir } from "../../scripts/k6.ts";
import {
  buildK8sManifests,
  collectScripts,
  configMapKey,
  ENTRY,
  K6_FOLDER,
  RESULTS_MOUNT,
  relativeImports,
  writeK8s,
} from "../../scripts/k8s.ts";
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

describe("stampede k8s: k6-operator TestRun and the scripts' ConfigMap", () => {
  it("writes a TestRun with the CRD's field names and types", async () => {
    const scripts = await collectScripts();
    const { testRun, configMap, run } = buildK8sManifests(
      { profile: resolveProfile("smoke"), parallelism: 4, outDir: "unused", target: "http://venue:8080" },
      scripts,
    );
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

  it("puts every file the drill script needs into the ConfigMap, under valid keys, imports flattened", async () => {
    const scripts = await collectScripts();
    const { configMap, testRun } = buildK8sManifests(
      { profile: resolveProfile("smoke"), parallelism: 2, outDir: "x" },
      scripts,
    );
    const data = configMap.data;
    expect(configMap.kind).toBe("ConfigMap");
    expect(Object.keys(data)).toContain(testRun.spec.script.configMap.file);
    expect(testRun.spec.script.configMap.file).toBe(configMapKey(ENTRY));
    for (const key of Object.keys(data)) expect(key).toMatch(/^[-._a-zA-Z0-9]+$/);
    // loadtests/ only: the vocabulary k6 shares with the venue lives there too.
    for (const path of scripts.keys()) expect(path.startsWith(K6_FOLDER), path).toBe(true);
    expect(Object.keys(data)).toContain("loadtests.vocabulary.traffic.ts");
    // No profile module: the plan file carries what the script needs of the profile.
    expect(Object.keys(data).filter((k) => k.startsWith("loadtests.profiles."))).toEqual([]);
    expect(Object.keys(data)).toContain("k6-plan.json");
    // Each value import of each shipped file resolves to a key of the same (flat) folder.
    for (const [key, source] of Object.entries(data).filter(([k]) => k.endsWith(".ts")))
      for (const spec of relativeImports(source)) {
        expect(spec, `${key} imports ${spec}`).toMatch(/^\.\/[-._a-zA-Z0-9]+$/);
        expect(data[spec.slice(2)], `${key} imports ${spec}`).toBeDefined();
      }
    // And from the repository side: the walk follows every relative value import.
    for (const [path, source] of scripts)
      for (const spec of relativeImports(source)) {
        const target = join(path, "..", spec).split("\\").join("/");
        expect(scripts.has(target), `${path} -> ${target}`).toBe(true);
      }
    expect(Buffer.byteLength(JSON.stringify(data))).toBeLessThan(1_000_000);
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
      [
        "inspect",
        "-e",
        `STAMPEDE_PLAN_FILE=${join(mount, "k6-plan.json")}`,
        join(mount, configMapKey(ENTRY)),
      ],
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

  it("refuses a script that imports a file outside loadtests/, naming both", async () => {
    const root = mkdtempSync(join(tmpdir(), "stampede-k8s-walk-"));
    mkdirSync(join(root, "loadtests", "lib"), { recursive: true });
    mkdirSync(join(root, "mock-exchange"), { recursive: true });
    writeFileSync(join(root, "loadtests", "drill.ts"), 'import { x } from "./lib/x.ts";\nexport { x };\n');
    writeFileSync(join(root, "loadtests", "lib", "x.ts"), 'export { x } from "../../mock-exchange/x.ts";\n');
    writeFileSync(join(root, "mock-exchange", "x.ts"), "export const x = 1;\n");
    await expect(collectScripts(ENTRY, root)).rejects.toMatchObject({
      code: "E_USAGE",
      message: expect.stringMatching(
        /^loadtests\/lib\/x\.ts imports mock-exchange\/x\.ts: k6 scripts import only/,
      ),
    });
    // The same tree without the stray import is collected whole.
    writeFileSync(join(root, "loadtests", "lib", "x.ts"), "export const x = 1;\n");
    expect([...(await collectScripts(ENTRY, root)).keys()]).toEqual([
      "loadtests/drill.ts",
      "loadtests/lib/x.ts",
    ]);
  });

  it("rejects a bad parallelism and an unknown profile", async () => {
    const scripts = await collectScripts();
    expect(() =>
      buildK8sManifests({ profile: resolveProfile("smoke"), parallelism: 0, outDir: "x" }, scripts),
    ).toThrow(/--parallelism/);
    expect(() =>
      buildK8sManifests({ profile: resolveProfile("nope"), parallelism: 2, outDir: "x" }, scripts),
    ).toThrow(/unknown profile/);
  });
});
