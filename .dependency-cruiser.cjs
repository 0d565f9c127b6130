/**
 * Imports run one way: down the layers below, never up, never in a circle.
 * `npm run deps` checks it (part of `npm test`); type-only imports count like any other
 * (tsPreCompilationDeps), because a type import still ties two folders together.
 *
 * The layers, bottom to top (paths from the repository root):
 *
 *   0    VOCABULARY  loadtests/vocabulary/
 *        The words every folder shares: traffic classes, reject reasons and their classification,
 *        tiers, faults and capacity events, market events, the run folder's shared types, the
 *        seeded random source, the exchange dialect's and the CLI's error catalogs. k6 loads it, so
 *        it imports nothing of the project, no package and no node: module.
 *   0.5 LOAD MODEL  loadtests/profiles/ (profiles, plain data), loadtests/lib/ (plan, behaviours)
 *        Pure and loaded by k6 as well as Node: vocabulary and each other only.
 *   1    VENUE MODEL mock-exchange/ except api/ and simulate/ (engine, capacity, limits, venue,
 *        timeline, defaults, ...). The dialect modules api/auth.ts, api/params.ts, api/routes.ts
 *        and api/errors.ts count here for now: the venue parses requests and derives keys with
 *        them, and they import nothing of the HTTP layer (a rule below holds them to that). They
 *        belong in a folder of the model (e.g. mock-exchange/dialect/); moving them waits until the
 *        changes others are making to server.ts, venue.ts and routes.ts have landed.
 *   2    SERVER      mock-exchange/api/ (the rest: server, streams, metrics, openapi, deferred)
 *        SIMULATORS  mock-exchange/simulate/ (may use the reporter: they write a run folder)
 *        K6 SCRIPTS  loadtests/ outside the folders above (drill.ts, scenarios/, bench/):
 *                    k6 runs them from loadtests/ alone, so they import nothing outside it
 *        REPORTER    reports/: the vocabulary and, at most, the venue model's types
 *   3    CLI         scripts/: orchestration; nothing below imports it (tests may).
 *
 * scripts/simulate/ is cruised like the rest of scripts/ (top layer, so it may import anything);
 * once it moves to mock-exchange/simulate/ the SIMULATORS rules apply to it.
 */

const VOCABULARY = "^loadtests/vocabulary/";
const LOAD_MODEL = "^loadtests/(profiles|lib)/";
const BELOW_K6 = "^loadtests/(vocabulary|profiles|lib)/";
const K6_SCRIPTS = "^loadtests/(?!(vocabulary|profiles|lib)/)";
const DIALECT = "^mock-exchange/api/(auth|params|routes|errors)[.]ts$";
const SERVER = "^mock-exchange/api/(?!(auth|params|routes|errors)[.]ts$)";
const SIMULATORS = "^mock-exchange/simulate/";
const VENUE_MODEL = "^mock-exchange/(?!api/|simulate/)";
const REPORTER = "^reports/";
const CLI = "^scripts/";
/** What k6 itself provides (resolved to @types/k6 for type-checking). */
const K6_MODULES = ["(^|/)node_modules/@types/k6/", "^k6(/|$)"];

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment:
        "A cycle has no bottom: split the shared part out into a module both can import. Cycles " +
        "closed only by type-only imports are allowed inside a folder (they vanish at run time, and " +
        "a model whose parts refer to each other's types, like the aggregate simulator's run and " +
        "its queues, would otherwise need a types-only module per pair); between top-level folders " +
        "the layer rules below forbid them anyway.",
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
    {
      name: "no-orphans",
      severity: "error",
      comment: "A module nothing imports and that imports nothing is dead code or a forgotten entry point.",
      from: { orphan: true, pathNot: ["[.]d[.]ts$", "(^|/)tsconfig[.]json$"] },
      to: {},
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      comment: "An import that does not resolve fails at run time (k6 included).",
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: "vocabulary-imports-nothing",
      severity: "error",
      comment:
        "Layer 0: the vocabulary imports only itself: no other folder, no package, no node: module (k6 loads it).",
      from: { path: VOCABULARY },
      to: { pathNot: VOCABULARY },
    },
    {
      name: "load-model-imports-vocabulary-only",
      severity: "error",
      comment:
        "Layer 0.5: profiles and the load model import only the vocabulary and each other (k6 and Node load them).",
      from: { path: LOAD_MODEL },
      to: { pathNot: BELOW_K6 },
    },
    {
      name: "k6-scripts-stay-in-loadtests",
      severity: "error",
      comment:
        "k6 runs loadtests/ on its own (by hand as files; drills and stampede k8s as one bundle of what it imports): its scripts import loadtests/ and k6 only.",
      from: { path: K6_SCRIPTS },
      to: { pathNot: ["^loadtests/", ...K6_MODULES] },
    },
    {
      name: "load-model-not-k6-scripts",
      severity: "error",
      comment: "Layers 0 and 0.5 are below the k6 scripts (layer 2).",
      from: { path: BELOW_K6 },
      to: { path: K6_SCRIPTS },
    },
    {
      name: "venue-model-not-upward",
      severity: "error",
      comment:
        "Layer 1 (the venue model) imports the vocabulary, the load model and itself: not the server, the simulators, the k6 scripts, the reporter or the CLI.",
      from: { path: VENUE_MODEL },
      to: { path: [SERVER, SIMULATORS, K6_SCRIPTS, REPORTER, CLI] },
    },
    {
      name: "dialect-not-server",
      severity: "error",
      comment:
        "The dialect modules in api/ count as venue model (layer 1) only while they import nothing of the HTTP layer.",
      from: { path: DIALECT },
      to: { path: [SERVER, SIMULATORS, K6_SCRIPTS, REPORTER, CLI] },
    },
    {
      name: "server-not-sideways-or-up",
      severity: "error",
      comment:
        "Layer 2 server: the venue model and below; not the simulators, the k6 scripts, the reporter or the CLI.",
      from: { path: SERVER },
      to: { path: [SIMULATORS, K6_SCRIPTS, REPORTER, CLI] },
    },
    {
      name: "simulators-not-server-or-up",
      severity: "error",
      comment:
        "Layer 2 simulators: the venue model, the reporter and below; not the HTTP server, the k6 scripts or the CLI.",
      from: { path: SIMULATORS },
      to: { path: [SERVER, K6_SCRIPTS, CLI] },
    },
    {
      name: "reporter-vocabulary-and-model-types-only",
      severity: "error",
      comment:
        "Layer 2 reporter: the vocabulary, and at most the venue model's types; not the load model, the server, the simulators, the k6 scripts or the CLI.",
      from: { path: REPORTER },
      to: { path: ["^loadtests/(?!vocabulary/)", SERVER, SIMULATORS, CLI] },
    },
    {
      name: "reporter-no-venue-code",
      severity: "error",
      comment:
        "The reporter reads the run folder only: it may name the venue model's types, never run its code.",
      from: { path: REPORTER },
      to: { path: "^mock-exchange/", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "only-cli-and-tests-import-scripts",
      severity: "error",
      comment: "Layer 3: scripts/ is the CLI and orchestration; nothing below imports it.",
      from: { pathNot: ["^scripts/", "^test/"] },
      to: { path: CLI },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
    },
  },
};
