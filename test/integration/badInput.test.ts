import { afterEach, describe, expect, it } from "vitest";
import { ROUTES } from "../../mock-exchange/api/routes.ts";
import { startVenueServer, type VenueServer } from "../../mock-exchange/api/server.ts";
import {
  type Account,
  encodeParams,
  engineSnapshot,
  errorOf,
  hmacHex,
  type Param,
  publicRequest,
  send,
  signedRequest,
  unlimitedExchangeConfig,
  venueAccountIds,
  type WireRequest,
} from "./wire.ts";

/**
 * Bad input on a real socket (issue "bad input, isolation and a fuzz test"): every kind of
 * malformed, missing, duplicated, mistyped, out-of-range or unauthenticated request gets its
 * 4xx and its code from the catalog (loadtests/vocabulary/exchangeErrors.ts), never a 5xx, and changes
 * nothing: the engine's state is the same before and after, and no orderId is consumed. Then
 * isolation (another account's order answers exactly like a missing one) and replays (Binance
 * has no nonce: within recvWindow a replayed order executes again unless its newClientOrderId is
 * still open, -4116; outside it, -1021). Cases already in dialect.test.ts and exchange.test.ts
 * (6 s old / 2 s ahead timestamps, a wrong secret, quantity=abc, price=-100, quantity=0 on a
 * LIMIT, BTC price off-tick, symbol=NOPE and side=UP on a new order, quantity twice) are not
 * repeated here.
 */

let exchange: VenueServer | undefined;
let skewMs = 0;

afterEach(async () => {
  await exchange?.close();
  exchange = undefined;
  skewMs = 0;
});

interface Ctx {
  a: Account;
  b: Account;
  /** A's resting BUY LIMIT on BTCUSDT, with clientOrderId "a-rest". */
  restingId: number;
}

async function start(): Promise<{ ex: VenueServer; ctx: Ctx }> {
  // A clock the replay test can move forward (no sleeping); 0 elsewhere.
  const ex = await startVenueServer({
    config: unlimitedExchangeConfig({ accounts: 3 }),
    now: () => Date.now() + skewMs,
  });
  exchange = ex;
  const [a, b] = ex.venue.accounts as [Account, Account];
  const placed = await send(
    ex.url,
    order(a, "LIMIT", [
      ["price", "59000.0"],
      ["newClientOrderId", "a-rest"],
    ]),
  );
  expect(placed.status).toBe(200);
  return { ex, ctx: { a, b, restingId: (JSON.parse(placed.text) as { orderId: number }).orderId } };
}

/** Timestamps are signed with the venue's clock (the test may have moved it). */
const now = () => Date.now() + skewMs;

function order(
  a: Account,
  type: string,
  extra: Param[] = [],
  base: Param[] = [
    ["symbol", "BTCUSDT"],
    ["side", "BUY"],
  ],
): WireRequest {
  const params: Param[] = [...base, ["type", type]];
  if (type === "LIMIT") params.push(["timeInForce", "GTC"], ["quantity", "0.002"]);
  else if (type === "MARKET") params.push(["quantity", "0.002"]);
  return signedRequest(a, "POST", "/fapi/v1/order", [...params, ...extra], { timestamp: now() });
}

/** A signed order request with the given parameters exactly (nothing added but timestamp and signature). */
const signed = (
  a: Account,
  method: string,
  path: string,
  params: Param[],
  where?: "query" | "body" | "split",
) => signedRequest(a, method, path, params, { where, timestamp: now() });

const post = (a: Account, params: Param[]) => signed(a, "POST", "/fapi/v1/order", params);

const limit = (qty: string, price: string, side = "BUY", tif = "GTC"): Param[] => [
  ["symbol", "BTCUSDT"],
  ["side", side],
  ["type", "LIMIT"],
  ["timeInForce", tif],
  ["quantity", qty],
  ["price", price],
];

/** Signs `query` + `body` as given, then lets `tamper` change the request (a client bug or an attacker). */
function resigned(
  a: Account,
  method: string,
  path: string,
  query: string,
  body: string,
  payload: (q: string, b: string) => string,
): WireRequest {
  const signature = hmacHex(a.apiSecret, payload(query, body));
  return {
    method,
    path,
    query: `${query}&signature=${signature}`,
    body,
    headers: {
      "X-MBX-APIKEY": a.apiKey,
      "X-Forwarded-For": "127.8.0.1",
      "Content-Type": "application/x-www-form-urlencoded",
    },
  };
}

type Case = [name: string, build: (c: Ctx) => WireRequest, status: number, code: number];

const CASES: Array<[category: string, cases: Case[]]> = [
  [
    "malformed JSON or query",
    [
      [
        "a JSON body instead of a form",
        ({ a }) => {
          const query = `timestamp=${now()}`;
          const body = JSON.stringify({ symbol: "BTCUSDT", side: "BUY", type: "MARKET", quantity: "0.001" });
          const req = resigned(a, "POST", "/fapi/v1/order", query, body, (q, b) => q + b);
          req.headers["Content-Type"] = "application/json";
          return req;
        },
        400,
        -1102,
      ],
      [
        "a truncated JSON body",
        ({ a }) => {
          const req = resigned(
            a,
            "POST",
            "/fapi/v1/order",
            `timestamp=${now()}`,
            '{"symbol":"BTC',
            (q, b) => q + b,
          );
          req.headers["Content-Type"] = "application/json";
          return req;
        },
        400,
        -1102,
      ],
      [
        "a query of separators only",
        () => ({ ...publicRequest("GET", "/fapi/v1/depth", []), query: "&&&=x&&" }),
        400,
        -1102,
      ],
      [
        "a stray percent sign",
        () => ({ ...publicRequest("GET", "/fapi/v1/depth", []), query: "symbol=BTC%USDT" }),
        400,
        -1121,
      ],
      [
        "a query over the 16 KiB header limit",
        () => publicRequest("GET", "/fapi/v1/depth", [["symbol", "A".repeat(20_000)]]),
        431,
        -1000,
      ],
    ],
  ],
  [
    "missing parameters",
    [
      [
        "no side",
        ({ a }) =>
          post(a, [
            ["symbol", "BTCUSDT"],
            ["type", "MARKET"],
            ["quantity", "0.001"],
          ]),
        400,
        -1102,
      ],
      [
        "no type",
        ({ a }) =>
          post(a, [
            ["symbol", "BTCUSDT"],
            ["side", "BUY"],
            ["quantity", "0.001"],
          ]),
        400,
        -1102,
      ],
      [
        "LIMIT without timeInForce",
        ({ a }) =>
          post(
            a,
            limit("0.001", "59000.0").filter(([k]) => k !== "timeInForce"),
          ),
        400,
        -1102,
      ],
      [
        "LIMIT without price",
        ({ a }) =>
          post(
            a,
            limit("0.001", "59000.0").filter(([k]) => k !== "price"),
          ),
        400,
        -1102,
      ],
      [
        "MARKET without quantity",
        ({ a }) =>
          post(a, [
            ["symbol", "BTCUSDT"],
            ["side", "BUY"],
            ["type", "MARKET"],
          ]),
        400,
        -1102,
      ],
      [
        "STOP_MARKET without stopPrice",
        ({ a }) => order(a, "STOP_MARKET", [["quantity", "0.001"]]),
        400,
        -1102,
      ],
      [
        "cancel without orderId or origClientOrderId",
        ({ a }) => signed(a, "DELETE", "/fapi/v1/order", [["symbol", "BTCUSDT"]]),
        400,
        -1102,
      ],
      [
        "modify without side",
        ({ a, restingId }) =>
          signed(a, "PUT", "/fapi/v1/order", [
            ["symbol", "BTCUSDT"],
            ["orderId", String(restingId)],
            ["quantity", "0.003"],
            ["price", "59000.0"],
          ]),
        400,
        -1102,
      ],
      [
        "modify without price",
        ({ a, restingId }) =>
          signed(a, "PUT", "/fapi/v1/order", [
            ["symbol", "BTCUSDT"],
            ["orderId", String(restingId)],
            ["side", "BUY"],
            ["quantity", "0.003"],
          ]),
        400,
        -1102,
      ],
      [
        "GET order without symbol",
        ({ a, restingId }) => signed(a, "GET", "/fapi/v1/order", [["orderId", String(restingId)]]),
        400,
        -1102,
      ],
      ["cancel-all without symbol", ({ a }) => signed(a, "DELETE", "/fapi/v1/allOpenOrders", []), 400, -1102],
      [
        "leverage without leverage",
        ({ a }) => signed(a, "POST", "/fapi/v1/leverage", [["symbol", "BTCUSDT"]]),
        400,
        -1102,
      ],
      ["depth without symbol", () => publicRequest("GET", "/fapi/v1/depth", [["limit", "5"]]), 400, -1102],
      ["an empty symbol", () => publicRequest("GET", "/fapi/v1/depth", [["symbol", ""]]), 400, -1102],
    ],
  ],
  [
    "duplicated parameters",
    [
      [
        "symbol in the query and in the body",
        ({ a }) =>
          resigned(
            a,
            "POST",
            "/fapi/v1/order",
            `symbol=BTCUSDT&timestamp=${now()}`,
            encodeParams(limit("0.001", "59000.0")),
            (q, b) => q + b,
          ),
        400,
        -1101,
      ],
      [
        "timestamp twice",
        ({ a }) => {
          const query = `timestamp=${now()}`;
          const body = `${encodeParams(limit("0.001", "59000.0"))}&timestamp=${now()}`;
          return resigned(a, "POST", "/fapi/v1/order", query, body, (q, b) => q + b);
        },
        400,
        -1101,
      ],
      [
        "signature twice",
        ({ a }) => {
          const req = post(a, limit("0.001", "59000.0"));
          req.query = `signature=${"0".repeat(64)}`;
          return req;
        },
        400,
        -1101,
      ],
      [
        "orderId twice on a cancel",
        ({ a, restingId }) =>
          signed(a, "DELETE", "/fapi/v1/order", [
            ["symbol", "BTCUSDT"],
            ["orderId", String(restingId)],
            ["orderId", String(restingId)],
          ]),
        400,
        -1101,
      ],
      [
        "a public symbol twice",
        () =>
          publicRequest("GET", "/fapi/v1/depth", [
            ["symbol", "BTCUSDT"],
            ["symbol", "ETHUSDT"],
          ]),
        400,
        -1101,
      ],
    ],
  ],
  [
    "wrong types and words",
    [
      ["side in lower case", ({ a }) => post(a, limit("0.001", "59000.0", "buy")), 400, -1117],
      [
        "type in lower case",
        ({ a }) =>
          post(a, [
            ["symbol", "BTCUSDT"],
            ["side", "BUY"],
            ["type", "market"],
            ["quantity", "0.001"],
          ]),
        400,
        -1116,
      ],
      ["timeInForce DAY", ({ a }) => post(a, limit("0.001", "59000.0", "BUY", "DAY")), 400, -1115],
      ["reduceOnly=1", ({ a }) => post(a, [...limit("0.001", "59000.0"), ["reduceOnly", "1"]]), 400, -1130],
      [
        "closePosition=yes",
        ({ a }) =>
          order(
            a,
            "STOP_MARKET",
            [
              ["stopPrice", "55000.0"],
              ["closePosition", "yes"],
            ],
            [
              ["symbol", "BTCUSDT"],
              ["side", "SELL"],
            ],
          ),
        400,
        -1130,
      ],
      [
        "closePosition on a LIMIT",
        ({ a }) => post(a, [...limit("0.001", "59000.0"), ["closePosition", "true"]]),
        400,
        -1128,
      ],
      [
        "closePosition with a quantity",
        ({ a }) =>
          order(
            a,
            "STOP_MARKET",
            [
              ["stopPrice", "55000.0"],
              ["closePosition", "true"],
              ["quantity", "0.001"],
            ],
            [
              ["symbol", "BTCUSDT"],
              ["side", "SELL"],
            ],
          ),
        400,
        -1106,
      ],
      [
        "closePosition with reduceOnly",
        ({ a }) =>
          order(
            a,
            "STOP_MARKET",
            [
              ["stopPrice", "55000.0"],
              ["closePosition", "true"],
              ["reduceOnly", "true"],
            ],
            [
              ["symbol", "BTCUSDT"],
              ["side", "SELL"],
            ],
          ),
        400,
        -1106,
      ],
      ["price on a MARKET", ({ a }) => order(a, "MARKET", [["price", "60000.0"]]), 400, -1106],
      ["timeInForce on a MARKET", ({ a }) => order(a, "MARKET", [["timeInForce", "GTC"]]), 400, -1106],
      [
        "stopPrice on a LIMIT",
        ({ a }) => post(a, [...limit("0.001", "59000.0"), ["stopPrice", "58000.0"]]),
        400,
        -1106,
      ],
      ["quantity in exponent form", ({ a }) => post(a, limit("1e-3", "59000.0")), 400, -1102],
      [
        "a newClientOrderId with a space",
        ({ a }) => post(a, [...limit("0.001", "59000.0"), ["newClientOrderId", "a b"]]),
        400,
        -4015,
      ],
      [
        "a newClientOrderId of 37 characters",
        ({ a }) => post(a, [...limit("0.001", "59000.0"), ["newClientOrderId", "x".repeat(37)]]),
        400,
        -4015,
      ],
      [
        "orderId=abc",
        ({ a }) =>
          signed(a, "GET", "/fapi/v1/order", [
            ["symbol", "BTCUSDT"],
            ["orderId", "abc"],
          ]),
        400,
        -1102,
      ],
      [
        "orderId=-1",
        ({ a }) =>
          signed(a, "DELETE", "/fapi/v1/order", [
            ["symbol", "BTCUSDT"],
            ["orderId", "-1"],
          ]),
        400,
        -1102,
      ],
      [
        "orderId=1.5",
        ({ a }) =>
          signed(a, "DELETE", "/fapi/v1/order", [
            ["symbol", "BTCUSDT"],
            ["orderId", "1.5"],
          ]),
        400,
        -1102,
      ],
      [
        "orderId of 16 digits",
        ({ a }) =>
          signed(a, "GET", "/fapi/v1/order", [
            ["symbol", "BTCUSDT"],
            ["orderId", "1".repeat(16)],
          ]),
        400,
        -1102,
      ],
      [
        "leverage=abc",
        ({ a }) =>
          signed(a, "POST", "/fapi/v1/leverage", [
            ["symbol", "BTCUSDT"],
            ["leverage", "abc"],
          ]),
        400,
        -4028,
      ],
      [
        "leverage=0",
        ({ a }) =>
          signed(a, "POST", "/fapi/v1/leverage", [
            ["symbol", "BTCUSDT"],
            ["leverage", "0"],
          ]),
        400,
        -4028,
      ],
      [
        "leverage=12.5",
        ({ a }) =>
          signed(a, "POST", "/fapi/v1/leverage", [
            ["symbol", "BTCUSDT"],
            ["leverage", "12.5"],
          ]),
        400,
        -4028,
      ],
      [
        "depth limit=abc",
        () =>
          publicRequest("GET", "/fapi/v1/depth", [
            ["symbol", "BTCUSDT"],
            ["limit", "abc"],
          ]),
        400,
        -1102,
      ],
      [
        "depth limit=7 (not a valid limit)",
        () =>
          publicRequest("GET", "/fapi/v1/depth", [
            ["symbol", "BTCUSDT"],
            ["limit", "7"],
          ]),
        400,
        -1130,
      ],
      [
        "depth limit=0",
        () =>
          publicRequest("GET", "/fapi/v1/depth", [
            ["symbol", "BTCUSDT"],
            ["limit", "0"],
          ]),
        400,
        -1130,
      ],
      [
        "recvWindow=abc",
        ({ a }) => post(a, [...limit("0.001", "59000.0"), ["recvWindow", "abc"]]),
        400,
        -1102,
      ],
      ["recvWindow=0", ({ a }) => post(a, [...limit("0.001", "59000.0"), ["recvWindow", "0"]]), 400, -1130],
      [
        "timestamp=abc",
        ({ a }) =>
          resigned(
            a,
            "POST",
            "/fapi/v1/order",
            "timestamp=abc",
            encodeParams(limit("0.001", "59000.0")),
            (q, b) => q + b,
          ),
        400,
        -1102,
      ],
      [
        "timestamp in exponent form",
        ({ a }) =>
          resigned(
            a,
            "POST",
            "/fapi/v1/order",
            "timestamp=1.7e12",
            encodeParams(limit("0.001", "59000.0")),
            (q, b) => q + b,
          ),
        400,
        -1102,
      ],
    ],
  ],
  [
    "zero, negative, NaN, huge and off-tick quantities and prices",
    [
      [
        "MARKET quantity 0.000",
        ({ a }) =>
          post(a, [
            ["symbol", "BTCUSDT"],
            ["side", "BUY"],
            ["type", "MARKET"],
            ["quantity", "0.000"],
          ]),
        400,
        -4003,
      ],
      ["negative quantity", ({ a }) => post(a, limit("-0.001", "59000.0")), 400, -4003],
      ["quantity NaN", ({ a }) => post(a, limit("NaN", "59000.0")), 400, -1102],
      ["quantity Infinity", ({ a }) => post(a, limit("Infinity", "59000.0")), 400, -1102],
      ["quantity off-step", ({ a }) => post(a, limit("0.0015", "59000.0")), 400, -4023],
      ["quantity of 16 digits", ({ a }) => post(a, limit("1234567890123.456", "59000.0")), 400, -1111],
      [
        "quantity at maxQty passes the filter, margin refuses it",
        ({ a }) => post(a, limit("1000000.000", "59000.0")),
        400,
        -2019,
      ],
      ["quantity one step above maxQty", ({ a }) => post(a, limit("1000000.001", "59000.0")), 400, -4005],
      [
        "huge MARKET quantity",
        ({ a }) =>
          post(a, [
            ["symbol", "BTCUSDT"],
            ["side", "SELL"],
            ["type", "MARKET"],
            ["quantity", "999999999999.999"],
          ]),
        400,
        -4005,
      ],
      ["price 0", ({ a }) => post(a, limit("0.001", "0")), 400, -4001],
      ["price NaN", ({ a }) => post(a, limit("0.001", "NaN")), 400, -1102],
      [
        "price at maxPrice passes the filter (post-only BUY would take)",
        ({ a }) => post(a, limit("0.001", "6000000.0", "BUY", "GTX")),
        400,
        -5022,
      ],
      ["price one tick above maxPrice", ({ a }) => post(a, limit("0.001", "6000000.1")), 400, -4002],
      ["huge price", ({ a }) => post(a, limit("0.001", "99999999999999.9", "SELL")), 400, -4002],
      [
        "stopPrice 0",
        ({ a }) =>
          order(a, "STOP_MARKET", [
            ["quantity", "0.001"],
            ["stopPrice", "0.0"],
          ]),
        400,
        -4006,
      ],
      [
        "negative stopPrice",
        ({ a }) =>
          order(a, "STOP_MARKET", [
            ["quantity", "0.001"],
            ["stopPrice", "-100.0"],
          ]),
        400,
        -4006,
      ],
      [
        "stopPrice off-tick",
        ({ a }) =>
          order(a, "STOP_MARKET", [
            ["quantity", "0.001"],
            ["stopPrice", "65000.05"],
          ]),
        400,
        -4014,
      ],
      [
        "stopPrice above maxPrice",
        ({ a }) =>
          order(
            a,
            "TAKE_PROFIT_MARKET",
            [
              ["quantity", "0.001"],
              ["stopPrice", "6000000.1"],
            ],
            [
              ["symbol", "BTCUSDT"],
              ["side", "SELL"],
            ],
          ),
        400,
        -4007,
      ],
      [
        "ETH price off its 0.01 tick",
        ({ a }) =>
          post(a, [
            ...limit("0.001", "2900.005").map(([k, v]): Param => [k, k === "symbol" ? "ETHUSDT" : v]),
          ]),
        400,
        -4014,
      ],
      [
        "modify to quantity 0",
        ({ a, restingId }) =>
          signed(a, "PUT", "/fapi/v1/order", [
            ["symbol", "BTCUSDT"],
            ["orderId", String(restingId)],
            ["side", "BUY"],
            ["quantity", "0"],
            ["price", "59000.0"],
          ]),
        400,
        -4003,
      ],
      [
        "modify to an off-tick price",
        ({ a, restingId }) =>
          signed(a, "PUT", "/fapi/v1/order", [
            ["symbol", "BTCUSDT"],
            ["orderId", String(restingId)],
            ["side", "BUY"],
            ["quantity", "0.002"],
            ["price", "59000.01"],
          ]),
        400,
        -4014,
      ],
      [
        "modify above maxQty",
        ({ a, restingId }) =>
          signed(a, "PUT", "/fapi/v1/order", [
            ["symbol", "BTCUSDT"],
            ["orderId", String(restingId)],
            ["side", "BUY"],
            ["quantity", "1000000.001"],
            ["price", "59000.0"],
          ]),
        400,
        -4005,
      ],
      [
        "modify above maxPrice",
        ({ a, restingId }) =>
          signed(a, "PUT", "/fapi/v1/order", [
            ["symbol", "BTCUSDT"],
            ["orderId", String(restingId)],
            ["side", "BUY"],
            ["quantity", "0.002"],
            ["price", "6000000.1"],
          ]),
        400,
        -4002,
      ],
    ],
  ],
  [
    "unknown symbols",
    [
      [
        "a symbol in lower case",
        ({ a }) =>
          post(
            a,
            limit("0.001", "59000.0").map(([k, v]): Param => [k, k === "symbol" ? "btcusdt" : v]),
          ),
        400,
        -1121,
      ],
      [
        "GET order",
        ({ a, restingId }) =>
          signed(a, "GET", "/fapi/v1/order", [
            ["symbol", "NOPEUSDT"],
            ["orderId", String(restingId)],
          ]),
        400,
        -1121,
      ],
      [
        "cancel",
        ({ a, restingId }) =>
          signed(a, "DELETE", "/fapi/v1/order", [
            ["symbol", "NOPEUSDT"],
            ["orderId", String(restingId)],
          ]),
        400,
        -1121,
      ],
      [
        "modify",
        ({ a, restingId }) =>
          signed(a, "PUT", "/fapi/v1/order", [
            ["symbol", "NOPEUSDT"],
            ["orderId", String(restingId)],
            ["side", "BUY"],
            ["quantity", "0.002"],
            ["price", "59000.0"],
          ]),
        400,
        -1121,
      ],
      [
        "cancel-all",
        ({ a }) => signed(a, "DELETE", "/fapi/v1/allOpenOrders", [["symbol", "NOPEUSDT"]]),
        400,
        -1121,
      ],
      [
        "leverage",
        ({ a }) =>
          signed(a, "POST", "/fapi/v1/leverage", [
            ["symbol", "NOPEUSDT"],
            ["leverage", "10"],
          ]),
        400,
        -1121,
      ],
      [
        "openOrders",
        ({ a }) => signed(a, "GET", "/fapi/v1/openOrders", [["symbol", "NOPEUSDT"]]),
        400,
        -1121,
      ],
      [
        "positionRisk",
        ({ a }) => signed(a, "GET", "/fapi/v2/positionRisk", [["symbol", "NOPEUSDT"]]),
        400,
        -1121,
      ],
      ["depth", () => publicRequest("GET", "/fapi/v1/depth", [["symbol", "NOPEUSDT"]]), 400, -1121],
      ["premiumIndex", () => publicRequest("GET", "/fapi/v1/premiumIndex", [["symbol", "123"]]), 400, -1121],
    ],
  ],
  [
    "bad signatures",
    [
      [
        "63 hex digits",
        ({ a }) => {
          const r = post(a, limit("0.001", "59000.0"));
          r.body = r.body.slice(0, -1);
          return r;
        },
        400,
        -1022,
      ],
      [
        "64 characters, not hex",
        ({ a }) => {
          const r = post(a, limit("0.001", "59000.0"));
          r.body = r.body.replace(/signature=.*/, `signature=${"z".repeat(64)}`);
          return r;
        },
        400,
        -1022,
      ],
      [
        "an empty signature",
        ({ a }) => {
          const r = post(a, limit("0.001", "59000.0"));
          r.body = r.body.replace(/signature=.*/, "signature=");
          return r;
        },
        400,
        -1022,
      ],
      [
        "signed over the parameters sorted by name",
        ({ a }) =>
          resigned(
            a,
            "POST",
            "/fapi/v1/order",
            `timestamp=${now()}`,
            encodeParams(limit("0.001", "59000.0")),
            (q, b) => [...`${q}&${b}`.split("&")].sort().join("&"),
          ),
        400,
        -1022,
      ],
      [
        "signed over query & body joined with '&'",
        ({ a }) =>
          resigned(
            a,
            "POST",
            "/fapi/v1/order",
            `timestamp=${now()}`,
            encodeParams(limit("0.001", "59000.0")),
            (q, b) => `${q}&${b}`,
          ),
        400,
        -1022,
      ],
      [
        "a body changed after signing",
        ({ a }) => {
          const r = post(a, limit("0.001", "59000.0"));
          r.body = r.body.replace("quantity=0.001", "quantity=0.100");
          return r;
        },
        400,
        -1022,
      ],
      [
        "a GET whose query was changed after signing",
        ({ a }) => {
          const r = signed(a, "GET", "/fapi/v2/balance", []);
          r.query = r.query.replace(/timestamp=(\d+)/, (_m, t: string) => `timestamp=${Number(t) - 1}`);
          return r;
        },
        400,
        -1022,
      ],
      [
        "no API key, signed",
        ({ a }) => {
          const r = post(a, limit("0.001", "59000.0"));
          delete r.headers["X-MBX-APIKEY"];
          return r;
        },
        401,
        -2014,
      ],
      [
        "an API key in the query instead of the header",
        ({ a }) => {
          const r = post(a, limit("0.001", "59000.0"));
          delete r.headers["X-MBX-APIKEY"];
          r.query = `apiKey=${a.apiKey}`;
          return r;
        },
        401,
        -2014,
      ],
      [
        "the API key in upper case",
        ({ a }) => {
          const r = post(a, limit("0.001", "59000.0"));
          r.headers["X-MBX-APIKEY"] = a.apiKey.toUpperCase();
          return r;
        },
        401,
        -2015,
      ],
    ],
  ],
  [
    "expired and future timestamps",
    [
      [
        "61 s old in a 60 s window",
        ({ a }) =>
          signedRequest(
            a,
            "POST",
            "/fapi/v1/order",
            [...limit("0.001", "59000.0"), ["recvWindow", "60000"]],
            { timestamp: now() - 61_000 },
          ),
        400,
        -1021,
      ],
      [
        "timestamp 0",
        ({ a }) => signedRequest(a, "POST", "/fapi/v1/order", limit("0.001", "59000.0"), { timestamp: 0 }),
        400,
        -1021,
      ],
      [
        "in the year 2100",
        ({ a }) =>
          signedRequest(a, "POST", "/fapi/v1/order", limit("0.001", "59000.0"), {
            timestamp: 4_102_444_800_000,
          }),
        400,
        -1021,
      ],
      [
        "a future timestamp is not saved by a large recvWindow",
        ({ a }) =>
          signedRequest(
            a,
            "POST",
            "/fapi/v1/order",
            [...limit("0.001", "59000.0"), ["recvWindow", "60000"]],
            { timestamp: now() + 30_000 },
          ),
        400,
        -1021,
      ],
      [
        "a stale cancel",
        ({ a, restingId }) =>
          signedRequest(
            a,
            "DELETE",
            "/fapi/v1/order",
            [
              ["symbol", "BTCUSDT"],
              ["orderId", String(restingId)],
            ],
            { timestamp: now() - 10_000 },
          ),
        400,
        -1021,
      ],
    ],
  ],
  [
    "oversized bodies, unknown paths and methods",
    [
      [
        "a body one byte over 16 KiB",
        ({ a }) => {
          const r = post(a, []);
          r.body = "z".repeat(16 * 1024 + 1);
          return r;
        },
        413,
        -1000,
      ],
      // Exactly the limit is read: then the missing timestamp is what is wrong.
      [
        "a body of exactly 16 KiB",
        ({ a }) => {
          const r = post(a, []);
          r.body = "z".repeat(16 * 1024);
          return r;
        },
        400,
        -1102,
      ],
      [
        "a trailing slash",
        ({ a }) => signed(a, "GET", "/fapi/v1/order/", [["symbol", "BTCUSDT"]]),
        404,
        -1000,
      ],
      [
        "PATCH on /fapi/v1/order",
        ({ a }) => signed(a, "PATCH", "/fapi/v1/order", limit("0.001", "59000.0")),
        405,
        -1000,
      ],
      [
        "DELETE on a read-only endpoint",
        () => publicRequest("DELETE", "/fapi/v1/depth", [["symbol", "BTCUSDT"]]),
        405,
        -1000,
      ],
    ],
  ],
];

describe("bad input: the documented 4xx and code, never a 5xx, and no change", () => {
  for (const [category, cases] of CASES) {
    it(category, async () => {
      const { ex, ctx } = await start();
      const symbols = ex.venue.config.symbols.map((s) => s.symbol);
      const ids = venueAccountIds(ex);
      const snapshot = () => engineSnapshot(ex.venue.engine, symbols, ids);
      const before = snapshot();
      for (const [name, build, status, code] of cases) {
        const reply = await send(ex.url, build(ctx));
        const error = errorOf(reply);
        expect({ name, status: reply.status, error: typeof error === "string" ? error : error.code }).toEqual(
          {
            name,
            status,
            error: code,
          },
        );
        expect(snapshot(), `${name} changed the engine's state`).toBe(before);
      }
      // Refusals consume no orderId: the next order gets the one after the resting order.
      const next = await send(ex.url, order(ctx.a, "LIMIT", [["price", "58000.0"]]));
      expect(JSON.parse(next.text).orderId).toBe(ctx.restingId + 1);
    });
  }
});

describe("isolation: another account's orders answer exactly like missing ones", () => {
  it("GET, DELETE and PUT by orderId, origClientOrderId or A's generated id; openOrders, positions, trades", async () => {
    const { ex, ctx } = await start();
    const { a, b, restingId } = ctx;
    // A also fills (a position and trades) and rests an order with a generated clientOrderId.
    const fill = await send(
      ex.url,
      post(a, [
        ["symbol", "BTCUSDT"],
        ["side", "BUY"],
        ["type", "MARKET"],
        ["quantity", "0.005"],
      ]),
    );
    expect(JSON.parse(fill.text).status).toBe("FILLED");
    const generated = JSON.parse((await send(ex.url, order(a, "LIMIT", [["price", "58500.0"]]))).text) as {
      orderId: number;
      clientOrderId: string;
    };
    expect(generated.clientOrderId).toMatch(/^stp-/);
    const symbols = ex.venue.config.symbols.map((s) => s.symbol);
    const ids = venueAccountIds(ex);
    const before = engineSnapshot(ex.venue.engine, symbols, ids);

    const refs: Array<[string, Param, Param]> = [
      ["orderId", ["orderId", String(restingId)], ["orderId", "999999999"]],
      ["origClientOrderId", ["origClientOrderId", "a-rest"], ["origClientOrderId", "nobody-has-it"]],
      [
        "generated clientOrderId",
        ["origClientOrderId", generated.clientOrderId],
        ["origClientOrderId", "stp-999999999"],
      ],
      ["generated orderId", ["orderId", String(generated.orderId)], ["orderId", "999999998"]],
    ];
    const calls: Array<[string, string, Param[], number]> = [
      ["GET", "/fapi/v1/order", [], -2013],
      ["DELETE", "/fapi/v1/order", [], -2011],
      [
        "PUT",
        "/fapi/v1/order",
        [
          ["side", "BUY"],
          ["quantity", "0.004"],
          ["price", "59100.0"],
        ],
        -2013,
      ],
    ];
    for (const [what, theirs, missing] of refs) {
      for (const [method, path, extra, code] of calls) {
        const ask = (ref: Param) =>
          send(ex.url, signed(b, method, path, [["symbol", "BTCUSDT"], ref, ...extra]));
        const [forA, forNone] = [await ask(theirs), await ask(missing)];
        const label = `${method} by ${what}`;
        expect({ label, status: forA.status, text: forA.text }).toEqual({
          label,
          status: forNone.status,
          text: forNone.text,
        });
        expect({ label, status: forA.status, code: (errorOf(forA) as { code: number }).code }).toEqual({
          label,
          status: 400,
          code,
        });
      }
    }
    if (ROUTES.some((r) => r.path === "/fapi/v1/batchOrders" && r.method === "DELETE")) {
      const batch = (list: number[]) =>
        send(
          ex.url,
          signed(b, "DELETE", "/fapi/v1/batchOrders", [
            ["symbol", "BTCUSDT"],
            ["orderIdList", JSON.stringify(list)],
          ]),
        );
      const [forA, forNone] = [
        await batch([restingId, generated.orderId]),
        await batch([999999999, 999999998]),
      ];
      expect({ status: forA.status, text: forA.text }).toEqual({
        status: forNone.status,
        text: forNone.text,
      });
    }
    expect(engineSnapshot(ex.venue.engine, symbols, ids)).toBe(before);

    // B's lists and reads hold nothing of A's.
    for (const params of [[], [["symbol", "BTCUSDT"]]] as Param[][]) {
      const open = await send(ex.url, signed(b, "GET", "/fapi/v1/openOrders", params));
      expect(JSON.parse(open.text)).toEqual([]);
      const theirs = await send(ex.url, signed(a, "GET", "/fapi/v1/openOrders", params));
      expect((JSON.parse(theirs.text) as unknown[]).length).toBe(2);
    }
    for (const path of [
      "/fapi/v2/positionRisk",
      "/fapi/v3/positionRisk",
      "/fapi/v2/account",
      "/fapi/v3/account",
    ]) {
      const reply = JSON.parse((await send(ex.url, signed(b, "GET", path, []))).text) as
        | Array<{ positionAmt: string }>
        | { positions: Array<{ positionAmt: string }>; totalWalletBalance: string };
      const rows = Array.isArray(reply) ? reply : reply.positions;
      expect({ path, amounts: rows.map((r) => Number(r.positionAmt)).filter((n) => n !== 0) }).toEqual({
        path,
        amounts: [],
      });
      if (!Array.isArray(reply)) expect(reply.totalWalletBalance).toBe("100000.00000000");
    }
    if (ROUTES.some((r) => r.path === "/fapi/v1/userTrades")) {
      const mine = await send(ex.url, signed(a, "GET", "/fapi/v1/userTrades", [["symbol", "BTCUSDT"]]));
      expect((JSON.parse(mine.text) as unknown[]).length).toBeGreaterThan(0);
      const theirs = await send(ex.url, signed(b, "GET", "/fapi/v1/userTrades", [["symbol", "BTCUSDT"]]));
      expect({ status: theirs.status, trades: JSON.parse(theirs.text) }).toEqual({ status: 200, trades: [] });
    }
  });
});

describe("replays (Binance semantics: recvWindow is the only replay protection)", () => {
  it("a replayed order executes again, unless its newClientOrderId is still open (-4116) or the window has passed (-1021)", async () => {
    const { ex, ctx } = await start();
    const { a } = ctx;
    const symbols = ex.venue.config.symbols.map((s) => s.symbol);
    const ids = venueAccountIds(ex);
    const snapshot = () => engineSnapshot(ex.venue.engine, symbols, ids);
    const idOf = (text: string) => (JSON.parse(text) as { orderId: number }).orderId;

    // Without a client id, the same signed bytes place a second order.
    const plain = order(a, "LIMIT", [["price", "58000.0"]]);
    const first = await send(ex.url, plain);
    const again = await send(ex.url, plain);
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(idOf(again.text)).toBe(idOf(first.text) + 1);

    // With one, the replay is refused while the first is open, and changes nothing.
    const keyed = order(a, "LIMIT", [
      ["price", "57000.0"],
      ["newClientOrderId", "pay-1"],
    ]);
    const placed = await send(ex.url, keyed);
    expect(placed.status).toBe(200);
    let before = snapshot();
    const dup = await send(ex.url, keyed);
    expect([dup.status, errorOf(dup)]).toEqual([400, { code: -4116, msg: "ClientOrderId is duplicated." }]);
    expect(snapshot()).toBe(before);
    // Unique among open orders only: once it is cancelled, the same id (and the same bytes) may be used again.
    const cancel = signed(a, "DELETE", "/fapi/v1/order", [
      ["symbol", "BTCUSDT"],
      ["origClientOrderId", "pay-1"],
    ]);
    expect((await send(ex.url, cancel)).status).toBe(200);
    before = snapshot();
    const cancelAgain = await send(ex.url, cancel);
    expect([cancelAgain.status, (errorOf(cancelAgain) as { code: number }).code]).toEqual([400, -2011]);
    expect(snapshot()).toBe(before);
    const reused = await send(ex.url, keyed);
    expect(reused.status).toBe(200);
    expect(idOf(reused.text)).toBeGreaterThan(idOf(placed.text));

    // Outside recvWindow (5 s by default) the same bytes are refused: move the venue's clock on.
    skewMs += 6_000;
    before = snapshot();
    for (const req of [plain, keyed, cancel]) {
      const late = await send(ex.url, req);
      expect([late.status, (errorOf(late) as { code: number }).code]).toEqual([400, -1021]);
    }
    expect(snapshot()).toBe(before);
  });
});
