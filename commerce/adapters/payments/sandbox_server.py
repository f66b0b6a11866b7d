"""The payments sandbox: a separate HTTPS process with its own ledger.

Run: ``python -m commerce.adapters.payments.sandbox_server --port 58443 --state-dir DIR``.
It creates ``DIR/ca.pem`` (clients verify against it), prints ``listening on URL`` and serves:

- ``POST /v1/tokens`` {number, exp_month, exp_year, cvc} -> {token, brand, last4, exp_*}
- ``POST /v1/charges`` {amount, currency, method, source, idempotency_key} -> charge
- ``GET  /v1/charges/by-key/{key}`` -> charge, or 404 if that key never arrived
- ``POST /v1/refunds`` {charge_id, amount, idempotency_key} -> refund
- ``GET  /v1/ledger`` -> every charge and refund; ``GET /health``

Test numbers and their outcomes: :mod:`commerce.adapters.payments.sandbox_rules`.
Request bodies are never logged: they hold card numbers.
"""

from __future__ import annotations

import argparse
import json
import ssl
import sys
import time
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from commerce.adapters.payments import sandbox_rules as rules
from commerce.adapters.payments.certs import ensure_certificates
from commerce.adapters.payments.sandbox_ledger import RefundRefused, SandboxLedger

MAX_BODY = 16_384


class SandboxError(Exception):
    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status, self.code = status, code


def _tokenize(ledger: SandboxLedger, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    number = str(body.get("number", "")).replace(" ", "")
    problem = rules.card_problem(number, body.get("exp_month"), body.get("exp_year"),
                                 str(body.get("cvc", "")))  # fmt: skip
    if problem:
        raise SandboxError(422, problem)
    return 201, ledger.add_token(number, rules.brand(number), body["exp_month"], body["exp_year"])


MAX_AMOUNT = Decimal("9999999999.99")  # what a Numeric(12, 2) column holds


def _amount(body: dict[str, Any]) -> str:
    """A positive amount in cents: "0.004" (which rounds to nothing) and "1e30" are refused."""
    try:
        amount = Decimal(str(body.get("amount")))
        if not amount.is_finite() or not 0 < amount <= MAX_AMOUNT:
            raise SandboxError(422, "invalid_amount")
        cents = amount.quantize(Decimal("0.01"))
    except InvalidOperation as e:
        raise SandboxError(422, "invalid_amount") from e
    if cents <= 0:
        raise SandboxError(422, "invalid_amount")
    return str(cents)


def _currency(body: dict[str, Any]) -> str:
    currency = str(body.get("currency", ""))
    if len(currency) != 3 or not currency.isascii() or not currency.isupper():
        raise SandboxError(422, "invalid_currency")
    return currency


def _charge(ledger: SandboxLedger, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    key, method, source = (str(body.get(k, "")) for k in ("idempotency_key", "method", "source"))
    if not key or len(key) > 128:
        raise SandboxError(422, "idempotency_key_required")
    amount, currency, slow = _amount(body), _currency(body), False
    existing = ledger.charge_by_key(key)
    if existing:
        return _replayed(ledger, existing, amount, currency, method, source)
    if method == "card":
        token = ledger.token(source)
        if token is None:
            raise SandboxError(422, "invalid_token")
        status, code = rules.card_outcome(token["number"])
        slow = token["number"] == rules.SLOW
    else:
        status, code = rules.other_outcome(method, source)
    charge = ledger.add_charge({"idempotency_key": key, "amount": amount,
                                "currency": currency,
                                "method": method, "source": source, "status": status,
                                "code": code})  # fmt: skip
    if slow:
        time.sleep(rules.SLOW_SECONDS)  # processed, but the answer comes late
    return 201, _public(ledger, charge)


def _replayed(
    ledger: SandboxLedger,
    charge: dict[str, Any],
    amount: str,
    currency: str,
    method: str,
    source: str,
) -> tuple[int, dict[str, Any]]:
    """The first outcome for a repeated key, as real providers do; a key reused for another
    charge (other amount, currency or payment source) is a conflict, never that charge."""
    asked = {"amount": amount, "currency": currency, "method": method, "source": source}
    if any(str(charge[k]) != v for k, v in asked.items()):
        raise SandboxError(409, "idempotency_key_reused")
    return 200, _public(ledger, charge)


def _public(ledger: SandboxLedger, charge: dict[str, Any]) -> dict[str, Any]:
    result = {k: charge[k] for k in ("id", "idempotency_key", "amount", "currency", "method",
                                     "status", "code", "created_at")}  # fmt: skip
    if charge["method"] == "card":
        token = ledger.token(charge["source"])
        if token is not None:
            result.update(brand=token["brand"], last4=token["last4"],
                          exp_month=token["exp_month"], exp_year=token["exp_year"])  # fmt: skip
    return result


def _refund(ledger: SandboxLedger, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    charge = ledger.charge(str(body.get("charge_id", "")))
    if charge is None or charge["status"] != "captured":
        raise SandboxError(404, "charge_not_found")
    key = str(body.get("idempotency_key", ""))
    if not key:
        raise SandboxError(422, "idempotency_key_required")
    amount = _amount(body)
    try:
        return 201, ledger.add_refund(key, charge["id"], amount, limit=charge["amount"])
    except RefundRefused as e:
        raise SandboxError(409 if e.code == "idempotency_key_reused" else 422, e.code) from e


class Handler(BaseHTTPRequestHandler):
    ledger: SandboxLedger
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request line is harmless, but stay silent: bodies carry card data

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise SandboxError(413, "payload_too_large")
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError as e:
            raise SandboxError(400, "malformed_json") from e
        if not isinstance(body, dict):
            raise SandboxError(400, "malformed_json")
        return body

    def _dispatch(self) -> tuple[int, dict[str, Any]]:
        path = self.path.split("?", 1)[0]
        if self.command == "GET" and path == "/health":
            return 200, {"healthy": True}
        if self.command == "GET" and path == "/v1/ledger":
            return 200, self.ledger.dump()
        if self.command == "GET" and path.startswith("/v1/charges/by-key/"):
            found = self.ledger.charge_by_key(path.rsplit("/", 1)[1])
            if found is None:
                raise SandboxError(404, "charge_not_found")
            return 200, _public(self.ledger, found)
        routes = {"/v1/tokens": _tokenize, "/v1/charges": _charge, "/v1/refunds": _refund}
        if self.command == "POST" and path in routes:
            return routes[path](self.ledger, self._body())
        raise SandboxError(404, "not_found")

    def _handle(self) -> None:
        try:
            status, body = self._dispatch()
        except SandboxError as e:
            status, body = e.status, {"error": {"code": e.code}}
        self._send(status, body)

    do_GET = _handle
    do_POST = _handle


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and hung up (the slow test card) is expected, not a crash.
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError | ssl.SSLError):
            super().handle_error(request, client_address)


def serve(host: str, port: int, state_dir: Path) -> None:
    ca, cert, key = ensure_certificates(state_dir)
    Handler.ledger = SandboxLedger(state_dir / "ledger.db")
    server = SandboxServer((host, port), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"listening on https://{host}:{server.server_address[1]} ca={ca}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="emporium payments sandbox (HTTPS)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=58443)
    parser.add_argument("--state-dir", type=Path, default=Path("var/payments-sandbox"))
    args = parser.parse_args(argv)
    serve(args.host, args.port, args.state_dir.resolve())


if __name__ == "__main__":
    main(sys.argv[1:])
