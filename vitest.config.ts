import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The end-to-end drill runs real k6 for ~20 s; everything else is fast.
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
    // The JSON file lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ["default", ["json", { outputFile: "runs/test-results.json" }]],
  },
});
