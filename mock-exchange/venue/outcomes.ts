import { ERR, type ExchangeErrorSpec, errorBody } from "../../loadtests/vocabulary/exchangeErrors.ts";
import type { OrderErrorCode } from "../engine/types.ts";
import type { Outcome } from "./request.ts";

/** Refusals after admission as answers: the engine's rejections and the edge's own, in the dialect. */

/** The engine's rejections in the dialect's catalog. */
const ENGINE_ERRORS: Record<OrderErrorCode, ExchangeErrorSpec> = {
  UNKNOWN_ORDER: ERR.UNKNOWN_ORDER,
  NO_SUCH_ORDER: ERR.NO_SUCH_ORDER,
  DUPLICATE_CLIENT_ORDER_ID: ERR.DUPLICATE_CLIENT_ORDER_ID,
  POST_ONLY_WOULD_TAKE: ERR.POST_ONLY_WOULD_TAKE,
  FOK_NOT_FILLABLE: ERR.FOK_NOT_FILLABLE,
  MIN_NOTIONAL: ERR.MIN_NOTIONAL,
  REDUCE_ONLY_REJECTED: ERR.REDUCE_ONLY_REJECTED,
  MARGIN_INSUFFICIENT: ERR.MARGIN_INSUFFICIENT,
  WOULD_IMMEDIATELY_TRIGGER: ERR.WOULD_IMMEDIATELY_TRIGGER,
  INVALID_ORDER: ERR.BAD_PARAM_COMBO,
  MODIFY_NOT_ALLOWED: ERR.MODIFY_NOT_ALLOWED,
};

export function engineError(code: OrderErrorCode): Outcome {
  const spec = ENGINE_ERRORS[code];
  return { status: spec.status, body: JSON.stringify({ code: spec.code, msg: spec.msg }) };
}

export function apiError(spec: ExchangeErrorSpec, fields?: Record<string, string | number>): Outcome {
  return { status: spec.status, body: errorBody(spec, fields) };
}
