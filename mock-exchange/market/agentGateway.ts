import { type AdmissionRequest, type AdmissionState, decideAdmission } from "../admission.ts";
import { Params } from "../api/params.ts";
import { ROUTES, type Route, type RouteName } from "../api/routes.ts";

/**
 * The venue's admission for the market's own agents (makers, stop-loss traders): the same decision a client's
 * request meets (admission.ts decideAdmission: IP weight and bans, order counts, the capacity
 * model's queue, shedding and timeout), on the same limiters and capacity model, so a maker's
 * quote update competes with the drill's traffic for the same workers. Keys, signatures and
 * parameters are not checked (`verify` undefined, as in the per-request simulator): the agents
 * send valid requests. An admitted request runs when its service ends (`dueMs`), in due order,
 * when the market is next advanced: the server's shared tick (100 ms) or a client request's
 * execution, whichever comes first.
 */

/** One agent request waiting for its service to end. */
interface Pending {
  dueMs: number;
  /** Admission order: requests due at the same ms run in the order they were sent. */
  seq: number;
  run: (dueMs: number) => void;
}

/** What became of a request at the gateway. */
export type AgentAdmission = "admitted" | "refused";

const EMPTY_PARAMS = new Params();

function route(name: RouteName): Route {
  const found = ROUTES.find((r) => r.name === name);
  if (found === undefined) throw new Error(`no route ${name}`);
  return found;
}

/**
 * The routes an agent sends: Binance USDⓈ-M "Cancel All Open Orders", "Cancel Multiple Orders",
 * "Place Multiple Orders" (makers), "New Order" (stop-loss traders' reduce-only closes).
 */
export const AGENT_ROUTES = {
  newOrder: route("newOrder"),
  cancelAll: route("cancelAll"),
  cancelBatch: route("cancelBatch"),
  batchOrders: route("batchOrders"),
} as const;

export class AgentGateway {
  private readonly pending: Pending[] = [];
  private seq = 0;
  // One request object reused: decideAdmission keeps nothing of it.
  private readonly request: AdmissionRequest = {
    route: AGENT_ROUTES.cancelAll,
    clientKey: "",
    apiKey: undefined,
    accountId: 0,
    params: EMPTY_PARAMS,
    query: "",
    body: "",
    arrivalMs: 0,
    priority: false,
  };

  constructor(private readonly state: AdmissionState) {}

  /**
   * Sends a request now: refused at once, or `run` is called with its due time when its service
   * ends. A request that waited past the queue timeout is refused when it is answered (it never
   * runs): `onTimeout` is called then, with that time.
   */
  send(
    routeToSend: Route,
    clientKey: string,
    accountId: number,
    priority: boolean,
    nowMs: number,
    run: (dueMs: number) => void,
    onTimeout: (dueMs: number) => void,
  ): AgentAdmission {
    const r = this.request;
    r.route = routeToSend;
    r.clientKey = clientKey;
    r.accountId = accountId;
    r.priority = priority;
    r.arrivalMs = nowMs;
    const decision = decideAdmission(r, this.state);
    if (decision.kind === "refused") return "refused";
    this.enqueue(decision.dueMs, decision.timedOut ? onTimeout : run);
    return "admitted";
  }

  /** Runs every request whose service ended by `nowMs`, in due order. */
  runDue(nowMs: number): void {
    const pending = this.pending;
    while (pending.length > 0 && (pending[0] as Pending).dueMs <= nowMs) {
      const next = pending.shift() as Pending;
      next.run(next.dueMs);
    }
  }

  /** Requests in service or queued. */
  get inFlight(): number {
    return this.pending.length;
  }

  /** A handful of makers keep a few requests in flight: a sorted insert is cheaper than a heap. */
  private enqueue(dueMs: number, run: (dueMs: number) => void): void {
    const item = { dueMs, seq: this.seq++, run };
    const pending = this.pending;
    let i = pending.length;
    while (i > 0 && (pending[i - 1] as Pending).dueMs > dueMs) i--;
    pending.splice(i, 0, item);
  }
}
