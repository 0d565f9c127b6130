/**
 * Generator honesty benchmark (issue 5, `npm run bench -- --json generator_max_rps`): the tiniest
 * open-model k6 script, one `GET /fapi/v1/ping` per iteration at a constant arrival rate. The
 * harness (scripts/benchGenerator.ts) raises the rate until k6 drops iterations or falls behind.
 * Plain k6 reproduces one step:
 *   k6 run -e BENCH_BASE_URL=http://127.0.0.1:PORT -e BENCH_RATE=4000 -e BENCH_DURATION_S=6 \
 *     -e BENCH_VUS=200 --no-thresholds --summary-mode=disabled loadtests/bench/ping.ts
 */
import http from "k6/http";
import type { Options } from "k6/options";

const baseUrl = __ENV.BENCH_BASE_URL ?? "http://127.0.0.1:8080";
const rate = Number(__ENV.BENCH_RATE ?? 1000);
const durationS = Number(__ENV.BENCH_DURATION_S ?? 6);
const vus = Number(__ENV.BENCH_VUS ?? 64);

export const options: Options = {
  discardResponseBodies: true,
  // A redirect is the server's answer, not an invitation to load another address.
  maxRedirects: 0,
  scenarios: {
    ping: {
      executor: "constant-arrival-rate",
      rate,
      timeUnit: "1s",
      duration: `${durationS}s`,
      // A fixed pool: an iteration with no free VU is dropped (counted), never queued.
      preAllocatedVUs: vus,
      maxVUs: vus,
      gracefulStop: "2s",
    },
  },
};

const url = `${baseUrl}/fapi/v1/ping`;

// Only a 2xx is a served ping (k6's default also takes 3xx).
http.setResponseCallback(http.expectedStatuses({ min: 200, max: 299 }));

export default function (): void {
  http.get(url, { tags: { name: "ping" } });
}
