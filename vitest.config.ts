import { defineConfig } from "vitest/config";

/** Real k6 drills: they measure latency, so they run alone, after everything else. */
const DRILLS = [
  "test/e2e/drill.test.ts",
  "test/e2e/generators.test.ts",
  "test/e2e/target.test.ts",
  "test/e2e/interrupt.test.ts",
  "test/e2e/redirect.test.ts",
  "test/e2e/k6Dashboard.test.ts",
  "test/e2e/drillGate.test.ts",
  "test/e2e/k6Output.test.ts",
  "test/e2e/drillProfileFile.test.ts",
  "test/e2e/byHand.test.ts",
];

export default defineConfig({
  test: {
    // The JSON file lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ["default", ["json", { outputFile: "runs/test-results.json" }]],
    projects: [
      {
        test: {
          name: "parallel",
          include: ["test/**/*.test.ts"],
          exclude: DRILLS,
          testTimeout: 20_000,
          hookTimeout: 20_000,
          pool: "forks",
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          // A drill sharing the two cores with other test files would measure the contention
          // (k6 drops iterations, latency inflates) and its calibration could not be checked.
          name: "drills",
          include: DRILLS,
          testTimeout: 20_000,
          hookTimeout: 20_000,
          pool: "forks",
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
