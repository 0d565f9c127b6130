import { CAPACITY_TICK_MS, CapacityModel } from "../../mock-exchange/capacity/model.ts";
import type { ExchangeConfig } from "../../mock-exchange/defaults.ts";
import { seededRandom } from "../../mock-exchange/random.ts";
import type { StepResult } from "./pacer.ts";
import type { CalibratedClassName } from "./requests.ts";

/**
 * One calibration step played against a venue's capacity model in virtual time: the same model
 * (mock-exchange/capacity/model.ts) the mock serves with and the per-request simulator runs, fed
 * the pacer's arrivals (evenly spaced at `rps`). What a venue file predicts for a step, in the
 * pacer's own terms, so a prediction and a measurement compare figure by figure.
 */
export function simulateStep(
  config: ExchangeConfig,
  cls: CalibratedClassName,
  rps: number,
  durationS: number,
  overheadMs: number,
  seed = 1,
): StepResult {
  const model = new CapacityModel(config, seededRandom(seed), 0);
  const result: StepResult = { offeredRps: rps, durationS, samples: [], dropped: 0, failed: 0 };
  const total = Math.round(rps * durationS);
  let nextTickMs = CAPACITY_TICK_MS;
  for (let i = 0; i < total; i++) {
    const nowMs = (i * 1000) / rps;
    while (nextTickMs <= nowMs) {
      model.tick(nextTickMs);
      nextTickMs += CAPACITY_TICK_MS;
    }
    const a = model.admit(nowMs, cls, false);
    // The statuses the mock answers with: 200 served, 503 for timeouts and shedding.
    const status = a.outcome === "admitted" ? 200 : 503;
    result.samples.push({ latencyMs: a.dueMs - nowMs + overheadMs, status, doneMs: a.dueMs + overheadMs });
  }
  return result;
}
