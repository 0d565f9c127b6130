// The catalog moved to the vocabulary (the venue's model answers with it too); this re-export
// keeps the HTTP layer's imports working while other changes to it are merged.
export {
  ApiError,
  ERR,
  type ExchangeErrorSpec,
  errorBody,
  WS_ERR,
} from "../../loadtests/vocabulary/exchangeErrors.ts";
