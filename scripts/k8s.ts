import { mkdir, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { k6DrillPlan } from "../loadtests/lib/k6Plan.ts";
import {
  drillRequestBudgetS,
  naturalDurationS,
  planDrill,
  scaleRates,
  validateProfile,
} from "../loadtests/lib/plan.ts";
import { StampedeError } from "../loadtests/vocabulary/cliErrors.ts";
import { EXCHANGE_DEFAULTS } from "../mock-exchange/defaults.ts";
import { K6_SYSTEM_TAGS } from "./drill.ts";
import { drillBundleText, drillEntry, K6_BUNDLE_FILE, K6_PLAN_FILE } from "./drillBundle.ts";
import { exchangeConfigFor, VENUE_SYMBOL_NAMES } from "./exchangeConfig.ts";
import { K6_VERSION } from "./k6.ts";
import { ROOT } from "./paths.ts";
import type { ResolvedProfile } from "./profileSource.ts";

/**
 * `stampede k8s`: the drill as a k6-operator TestRun (docs/k8s.md). k6-operator splits the test
 * into `parallelism` execution segments, one runner pod each, exactly like `drill --generators`.
 * The runner image is k6 with stampede's output extension (loadtests/k6-output/; docs/k8s.md
 * shows the Dockerfile): each runner aggregates inside itself and writes latency-<i>.hlog and
 * client-<i>.jsonl (i: its segment's index) on a shared volume; copied into the run folder
 * written here, `stampede report <dir>` merges them exactly (HDR add). Summaries of separate
 * runners cannot be merged into percentiles (k6-operator issue 812).
 *
 * The script travels in one ConfigMap as a drill runs it: bundled into one ES module
 * (`drill.js`, scripts/drillBundle.ts; k6 modules stay imports), beside the plan file
 * (`k6-plan.json`). k6 instantiates every module of a script's graph in every VU, so the runners'
 * VUs cost what a local drill's do (about 0.5 MB of RSS each, against 0.8 as source files:
 * `npm run bench -- generator_drill_rss_mb_per_vu`), and a plan without watchers ships no
 * WebSocket module. k6 scripts import only loadtests/ and k6 (`npm run deps` enforces it).
 */

export interface K8sOptions {
  /** The profile, resolved from `--profile NAME|FILE` (profileSource.ts). */
  profile: ResolvedProfile;
  /** Runner pods (TestRun spec.parallelism), each one execution segment. */
  parallelism: number;
  outDir: string;
  /** URL of the exchange as the runner pods reach it. */
  target?: string | undefined;
  timeScale?: number | undefined;
  rateScale?: number | undefined;
  seed?: number | undefined;
  /** Runner image: k6 with the stampede output; default DEFAULT_RUNNER_IMAGE. */
  image?: string | undefined;
  namespace?: string | undefined;
}

export const DEFAULT_TARGET = "http://stampede-mock-exchange:8080";
/** The Secret (key `token`) holding the mock exchange's control token for the runners. */
export const CONTROL_TOKEN_SECRET = "stampede-control-token";
/** The runner image docs/k8s.md builds: the pinned k6 with loadtests/k6-output built in. */
export const DEFAULT_RUNNER_IMAGE = `stampede-k6:${K6_VERSION.replace(/^v/, "")}`;
/** Where the runners write their files (a shared PersistentVolumeClaim). */
export const RESULTS_MOUNT = "/results";
/** Where k6-operator mounts the script ConfigMap in a runner pod. */
export const SCRIPT_MOUNT = "/test";
export interface K8sManifests {
  configMap: Record<string, unknown> & { data: Record<string, string> };
  testRun: {
    apiVersion: "k6.io/v1alpha1";
    kind: "TestRun";
    metadata: { name: string; namespace?: string };
    spec: {
      parallelism: number;
      script: { configMap: { name: string; file: string } };
      arguments: string;
      runner: {
        image: string;
        env: Array<{ name: string; value?: string; valueFrom?: unknown }>;
        volumes: unknown[];
        volumeMounts: Array<{ name: string; mountPath: string }>;
      };
    };
  };
  pvc: Record<string, unknown>;
  /** run.json of the run folder the runners' csv files are copied into. */
  run: Record<string, unknown>;
  /** The drill script's entry the bundle was built from. */
  entry: string;
}

/** The manifests of a k8s drill, with the drill script bundled from the entry its plan picks (drillEntry), as a local drill's. */
export async function buildK8sManifests(opts: K8sOptions): Promise<K8sManifests> {
  const { profile } = opts.profile;
  const problems = validateProfile(profile, VENUE_SYMBOL_NAMES);
  if (problems.length > 0)
    throw new StampedeError("E_BAD_PROFILE", `profile ${profile.name} is invalid: ${problems.join("; ")}`);
  if (!(Number.isInteger(opts.parallelism) && opts.parallelism >= 1))
    throw new StampedeError("E_USAGE", "--parallelism must be an integer >= 1");
  const rateScale = opts.rateScale ?? 1;
  if (!(rateScale > 0 && Number.isFinite(rateScale)))
    throw new StampedeError("E_USAGE", "--rate-scale must be > 0");
  const timeScale = opts.timeScale ?? profile.defaultTimeScale;
  if (!(timeScale > 0)) throw new StampedeError("E_USAGE", "--time-scale must be > 0");
  const seed = opts.seed ?? 1;
  const target = opts.target ?? DEFAULT_TARGET;

  // The same request budget as a local drill (scripts/drillPlan.ts): each request may wait the
  // full queue timeout.
  const config = exchangeConfigFor(profile, {
    timeScale,
    seed,
    strategy: EXCHANGE_DEFAULTS.capacity.strategy,
    scale: "drill",
  });
  const requestBudgetS = drillRequestBudgetS(config.capacity);
  const plan = planDrill(scaleRates(profile, rateScale), { timeScale, requestBudgetS });

  const name = `stampede-${profile.name}`.slice(0, 52).replace(/-+$/, "");
  const k6Plan = k6DrillPlan(plan, profile, seed);
  const entry = drillEntry(k6Plan);
  const script = await drillBundleText(entry);
  // The plan travels beside the script, as a drill writes both into its run folder (drillBundle.ts).
  const data: Record<string, string> = {
    [K6_BUNDLE_FILE]: script,
    [K6_PLAN_FILE]: `${JSON.stringify(k6Plan, null, 2)}\n`,
  };
  const meta = (n: string) => ({
    name: n,
    ...(opts.namespace === undefined ? {} : { namespace: opts.namespace }),
  });

  const configMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { ...meta(`${name}-scripts`), labels: { "app.kubernetes.io/part-of": "stampede" } },
    data,
  };
  const pvc = {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: meta(`${name}-results`),
    spec: { accessModes: ["ReadWriteMany"], resources: { requests: { storage: "5Gi" } } },
  };
  const testRun: K8sManifests["testRun"] = {
    apiVersion: "k6.io/v1alpha1",
    kind: "TestRun",
    metadata: meta(name),
    spec: {
      parallelism: opts.parallelism,
      script: { configMap: { name: `${name}-scripts`, file: K6_BUNDLE_FILE } },
      // One pair of files per runner: the output names them after the execution segment the
      // operator gives the runner (latency-<i>.hlog), so runners never write the same path.
      arguments: [
        "--no-thresholds",
        "--summary-mode=disabled",
        `--system-tags=${K6_SYSTEM_TAGS}`,
        "--out",
        `stampede=${RESULTS_MOUNT}`,
      ].join(" "),
      runner: {
        image: opts.image ?? DEFAULT_RUNNER_IMAGE,
        env: [
          { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
          { name: "K6_CSV_TIME_FORMAT", value: "unix_micro" },
          { name: "K6_NO_USAGE_REPORT", value: "true" },
          { name: "K6_AUTO_EXTENSION_RESOLUTION", value: "false" },
          // The drill follows no redirect (loadtests/drillRequests.ts says so too; this outranks it).
          { name: "K6_MAX_REDIRECTS", value: "0" },
          // setup() reads the mock's accounts with its control token: from a Secret the operator
          // creates (docs/k8s.md), never written into these manifests.
          {
            name: "STAMPEDE_CONTROL_TOKEN",
            valueFrom: { secretKeyRef: { name: CONTROL_TOKEN_SECRET, key: "token", optional: true } },
          },
          { name: "STAMPEDE_BASE_URL", value: target },
          { name: "STAMPEDE_PLAN_FILE", value: `${SCRIPT_MOUNT}/${K6_PLAN_FILE}` },
        ],
        volumes: [{ name: "results", persistentVolumeClaim: { claimName: `${name}-results` } }],
        volumeMounts: [{ name: "results", mountPath: RESULTS_MOUNT }],
      },
    },
  };
  const run = {
    id: name,
    mode: "k8s",
    command: `stampede ${process.argv.slice(2).join(" ")}`,
    seed,
    profile,
    profileSource: opts.profile.source,
    strategy: null,
    scales: {
      timeScale,
      naturalDurationS: naturalDurationS(profile),
      wallDurationS: plan.durationS,
      rateScale,
      normalRatePerS: scaleRates(profile, rateScale).normalRatePerS,
      peakRatePerS: Object.fromEntries(Object.entries(plan.classes).map(([c, p]) => [c, p.peakRatePerS])),
    },
    plan,
    k8s: { parallelism: opts.parallelism, target, testRun: testRun.metadata.name },
    versions: { k6: K6_VERSION },
    k6: { outputs: ["stampede"] },
  };
  return { configMap, testRun, pvc, run, entry };
}

/** Writes <out>/manifests/{configmap,pvc,testrun}.json and <out>/run.json; returns the folder. */
export async function writeK8s(opts: K8sOptions, log: (line: string) => void = () => {}): Promise<string> {
  const m = await buildK8sManifests(opts);
  const out = resolve(opts.outDir);
  await mkdir(join(out, "manifests"), { recursive: true });
  const json = (x: unknown) => `${JSON.stringify(x, null, 2)}\n`;
  const bytes = Buffer.byteLength(JSON.stringify(m.configMap.data));
  // A ConfigMap holds at most 1 MiB (k6-operator docs); the drill's bundle and plan are about 30 KB.
  if (bytes > 1_000_000)
    throw new StampedeError("E_USAGE", `the script and plan (${bytes} bytes) exceed a ConfigMap's 1 MiB`);
  await writeFile(join(out, "manifests", "configmap.json"), json(m.configMap));
  await writeFile(join(out, "manifests", "pvc.json"), json(m.pvc));
  await writeFile(join(out, "manifests", "testrun.json"), json(m.testRun));
  await writeFile(join(out, "run.json"), json(m.run));
  const rel = relative(process.cwd(), out) || ".";
  log(
    `wrote ${join(rel, "manifests")}/{configmap,pvc,testrun}.json (${K6_BUNDLE_FILE} from ${relative(ROOT, m.entry)}, parallelism ${opts.parallelism}) and ${join(rel, "run.json")}\n` +
      `apply: kubectl apply -f ${join(rel, "manifests")}/   then copy the runners' latency-*.hlog and client-*.jsonl into ${rel} and run: stampede report ${rel}`,
  );
  return out;
}
