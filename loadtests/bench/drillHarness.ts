/**
 * The drill script with a bare script's request in place of every behaviour: one unsigned
 * `GET /fapi/v1/ping` per iteration, sent from inside the drill's iteration (its plan, VUs and
 * scenarios, the iteration mark for lateness, the behaviour tag, the client session built on the
 * first iteration, the stampede output; the behaviours stay in the bundle, so each VU holds what a
 * drill's does, and do not run). The generator bench (scripts/benchGeneratorCost.ts) runs
 * it beside the bare script and the drill: the drill's harness costs k6 what this costs over the
 * bare script, and its requests (signed, POST bodies, answers parsed, the behaviours' logic) the
 * rest.
 */
import http, { type RefinedParams, type ResponseType } from "k6/http";
import { baseUrl, iterate, options, REQUEST_TIMEOUT_MS, type SetupData, setup } from "../drillRequests.ts";

export { options, setup };

const PING_URL = `${baseUrl}/fapi/v1/ping`;
// Tagged as a drill's request is (class and endpoint), so the output aggregates it the same way.
const PING_PARAMS: RefinedParams<ResponseType> = {
  tags: { class: "depth", name: "/fapi/v1/ping" },
  timeout: REQUEST_TIMEOUT_MS,
};

function ping(): void {
  http.get(PING_URL, PING_PARAMS);
}

export function order(data: SetupData): void {
  iterate("order", data, ping);
}

export function position(data: SetupData): void {
  iterate("position", data, ping);
}

export function depth(data: SetupData): void {
  iterate("depth", data, ping);
}
