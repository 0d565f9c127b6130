"""Binance's own Python connector (binance-futures-connector, UMFutures) against the mock.

Run by test/integration/binanceConnector.test.ts with the connector on PYTHONPATH and
STAMPEDE_BASE_URL, STAMPEDE_API_KEY, STAMPEDE_API_SECRET in the environment. Calls the methods a
client starts with, in order, and prints one JSON line per call ({"call", "ok", "error"}), then a
summary line; exits 0 only when every call succeeded.

Nothing may leave the machine: before the connector is imported, socket connections and name
lookups are allowed to the mock's 127.0.0.1 port only; anything else raises, and a probe of
another loopback address proves the guard is in place.
"""

import json
import os
import socket
import sys
import time
from urllib.parse import urlsplit

BASE_URL = os.environ["STAMPEDE_BASE_URL"]
MOCK = urlsplit(BASE_URL)
ALLOWED = ("127.0.0.1", MOCK.port)
refused = []

_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex
_getaddrinfo = socket.getaddrinfo


def _check(address):
    host, port = address[0], address[1]
    if (host, port) != ALLOWED:
        refused.append(f"{host}:{port}")
        raise ConnectionRefusedError(f"connection to {host}:{port} refused: this test talks to {ALLOWED[0]}:{ALLOWED[1]} only")


def guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check(address)
    return _connect(self, address)


def guarded_connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check(address)
    return _connect_ex(self, address)


def guarded_getaddrinfo(host, port, *args, **kwargs):
    # A name other than the mock's address would mean a DNS query: refused before it is made.
    if host not in ("127.0.0.1", b"127.0.0.1"):
        refused.append(f"lookup {host}")
        raise socket.gaierror(f"lookup of {host} refused: this test talks to {ALLOWED[0]} only")
    return _getaddrinfo(host, port, *args, **kwargs)


socket.socket.connect = guarded_connect
socket.socket.connect_ex = guarded_connect_ex
socket.getaddrinfo = guarded_getaddrinfo


def probe_guard():
    """The guard refuses another loopback address and a name before anything is sent."""
    for target in (("127.0.0.2", MOCK.port), ("127.0.0.1", MOCK.port + 1)):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.connect(target)
            return False
        except ConnectionRefusedError as err:
            if "this test talks to" not in str(err):
                return False
        finally:
            s.close()
    try:
        socket.create_connection(("fapi.binance.com", 443), timeout=1)
        return False
    except socket.gaierror:
        pass
    return True


from binance.um_futures import UMFutures  # noqa: E402  (after the guard, on purpose)

SYMBOL = "BTCUSDT"
public = UMFutures(base_url=BASE_URL, timeout=10)
client = UMFutures(
    key=os.environ["STAMPEDE_API_KEY"],
    secret=os.environ["STAMPEDE_API_SECRET"],
    base_url=BASE_URL,
    timeout=10,
)
results = []
state = {}


def call(name, fn, check=None):
    try:
        value = fn()
        if check is not None and not check(value):
            raise AssertionError(f"unexpected answer: {json.dumps(value)[:300]}")
        results.append({"call": name, "ok": True})
        return value
    except Exception as err:  # every failure is reported, not raised: the test lists them all
        results.append({"call": name, "ok": False, "error": f"{type(err).__name__}: {err}"[:500]})
        return None


def is_list(v):
    return isinstance(v, list)


guard_ok = probe_guard()
call("ping", public.ping, lambda v: v == {})
call("time", public.time, lambda v: abs(v["serverTime"] - time.time() * 1000) < 10_000)
call("exchange_info", public.exchange_info, lambda v: any(s["symbol"] == SYMBOL for s in v["symbols"]))
call("depth", lambda: public.depth(SYMBOL, limit=5), lambda v: len(v["bids"]) == 5 and len(v["asks"]) == 5)
call("mark_price", lambda: public.mark_price(SYMBOL), lambda v: float(v["markPrice"]) > 0)
call("ticker_price", lambda: public.ticker_price(SYMBOL), lambda v: v["symbol"] == SYMBOL and float(v["price"]) > 0)
call("balance", client.balance, lambda v: is_list(v) and v[0]["asset"] == "USDT")
call("account", client.account, lambda v: float(v["totalWalletBalance"]) > 0)
call("change_leverage", lambda: client.change_leverage(symbol=SYMBOL, leverage=10), lambda v: v["leverage"] == 10)
call("leverage_brackets", lambda: client.leverage_brackets(symbol=SYMBOL), lambda v: v is not None)
resting = call(
    "new_order LIMIT",
    lambda: client.new_order(symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity=0.002, price=59000),
    lambda v: v["status"] == "NEW",
)
order_id = resting["orderId"] if resting else 0
call("query_order", lambda: client.query_order(symbol=SYMBOL, orderId=order_id), lambda v: v["orderId"] == order_id)
call("get_open_orders", lambda: client.get_open_orders(symbol=SYMBOL, orderId=order_id), lambda v: v["orderId"] == order_id)
call("get_orders", lambda: client.get_orders(symbol=SYMBOL), lambda v: [o["orderId"] for o in v] == [order_id])
call("cancel_order", lambda: client.cancel_order(symbol=SYMBOL, orderId=order_id), lambda v: v["status"] == "CANCELED")
call(
    "new_order MARKET",
    lambda: client.new_order(symbol=SYMBOL, side="BUY", type="MARKET", quantity=0.002),
    lambda v: v["status"] == "FILLED",
)
call("get_position_risk", lambda: client.get_position_risk(symbol=SYMBOL), lambda v: float(v[0]["positionAmt"]) == 0.002)
call("get_account_trades", lambda: client.get_account_trades(symbol=SYMBOL), lambda v: len(v) >= 1)
call("ticker_24hr_price_change", lambda: public.ticker_24hr_price_change(SYMBOL), lambda v: v["count"] >= 1)
call("ticker_24hr_price_change (all)", public.ticker_24hr_price_change, lambda v: is_list(v) and len(v) >= 2)
call("klines", lambda: public.klines(SYMBOL, "1m", limit=10), lambda v: is_list(v) and len(v) >= 1 and len(v[-1]) == 12)
listen = call("new_listen_key", client.new_listen_key, lambda v: len(v["listenKey"]) > 0)
key = listen["listenKey"] if listen else ""
call("renew_listen_key", lambda: client.renew_listen_key(key), lambda v: v is not None)
call("close_listen_key", lambda: client.close_listen_key(key), lambda v: v is not None)
call("cancel_open_orders", lambda: client.cancel_open_orders(symbol=SYMBOL), lambda v: v["code"] == 200)

for r in results:
    print(json.dumps(r))
failed = [r["call"] for r in results if not r["ok"]]
print(json.dumps({"summary": True, "calls": len(results), "failed": failed, "guard": guard_ok, "refused": refused}))
sys.exit(0 if not failed and guard_ok else 1)
