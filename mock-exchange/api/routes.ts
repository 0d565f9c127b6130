import type { TrafficClass } from "../../reports/model.ts";
import type { ServiceClass } from "../defaults.ts";

/**
 * The dialect's endpoints with their request weight and traffic class (reference.md "Weights").
 * A route's class decides its service time in the capacity model and its row in the timeline.
 */

export type RouteName = "ping" | "time" | "depth" | "newOrder" | "cancelOrder" | "positionRisk";

export interface Route {
  name: RouteName;
  method: "GET" | "POST" | "DELETE";
  path: string;
  serviceClass: ServiceClass;
  trafficClass: TrafficClass | undefined;
  /** Needs an API key (X-MBX-APIKEY). */
  keyed: boolean;
  /** IP request weight; depth's depends on `limit`, see depthWeight. */
  weight: number;
}

export const ROUTES: readonly Route[] = [
  {
    name: "ping",
    method: "GET",
    path: "/fapi/v1/ping",
    serviceClass: "other",
    trafficClass: undefined,
    keyed: false,
    weight: 1,
  },
  {
    name: "time",
    method: "GET",
    path: "/fapi/v1/time",
    serviceClass: "other",
    trafficClass: undefined,
    keyed: false,
    weight: 1,
  },
  {
    name: "depth",
    method: "GET",
    path: "/fapi/v1/depth",
    serviceClass: "depth",
    trafficClass: "depth",
    keyed: false,
    weight: 2,
  },
  // New orders cost 0 IP weight and count on the order-rate limits instead (issue: order counters).
  {
    name: "newOrder",
    method: "POST",
    path: "/fapi/v1/order",
    serviceClass: "order",
    trafficClass: "order",
    keyed: true,
    weight: 0,
  },
  {
    name: "cancelOrder",
    method: "DELETE",
    path: "/fapi/v1/order",
    serviceClass: "order",
    trafficClass: "order",
    keyed: true,
    weight: 1,
  },
  {
    name: "positionRisk",
    method: "GET",
    path: "/fapi/v2/positionRisk",
    serviceClass: "position",
    trafficClass: "position",
    keyed: true,
    weight: 5,
  },
];

const byPath = new Map<string, Route[]>();
for (const route of ROUTES) {
  const list = byPath.get(route.path) ?? [];
  list.push(route);
  byPath.set(route.path, list);
}

/** The route for a method and path; "method" when the path exists with other methods only. */
export function findRoute(method: string, path: string): Route | "method" | undefined {
  const candidates = byPath.get(path);
  if (candidates === undefined) return undefined;
  return candidates.find((r) => r.method === method) ?? "method";
}

export const DEPTH_LIMITS = [5, 10, 20, 50, 100, 500, 1000] as const;

/** GET /fapi/v1/depth weight by limit: 5-50 -> 2, 100 -> 5, 500 -> 10, 1000 -> 20. */
export function depthWeight(limit: number): number {
  if (limit <= 50) return 2;
  if (limit <= 100) return 5;
  if (limit <= 500) return 10;
  return 20;
}
