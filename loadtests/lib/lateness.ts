/**
 * How an iteration tells k6's stampede output (loadtests/k6-output/) which iteration it is, so
 * the output can measure how late it started. Pure and free of k6 imports.
 *
 * The schedule itself is computed in the output (schedule.go), not here: k6's arrival-rate
 * executor starts event i of a scenario when the integral of its rate reaches i, and numbers
 * the iterations it runs (`exec.scenario.iterationInTest`, test-wide under
 * `--execution-segment`) with the same index, but a dropped iteration (no free VU) takes no
 * number, so after d drops an iteration runs d slots after the one its number names. Only the
 * output sees the drops (dropped_iterations samples), so it maps the number to the slot. The
 * script's part is one metadata string per iteration, which every sample of the iteration then
 * carries: no sample of its own, no schedule arithmetic in JavaScript.
 */

/** VU metadata key; the output reads the same (IterationMetadataKey). */
export const ITERATION_METADATA = "stampede_iteration";

/**
 * "<iterationInTest>@<start, unix ms>". Date.now() is whole ms, so lateness is good to a ms.
 */
export function iterationMark(iterationInTest: number, startMs: number): string {
  return `${iterationInTest}@${startMs}`;
}
