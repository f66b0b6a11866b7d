"""The platform's side of the sandbox: a PaymentProvider over verified HTTPS."""

from __future__ import annotations

import ssl
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from commerce.domain.errors import InvalidInput, PaymentFailed
from commerce.domain.payments import ChargeResult, PaymentOutcomeUnknown, RefundResult


class SandboxPaymentProvider:
    """Talks to ``sandbox_server`` with the project's CA; every call has a time-out."""

    name = "sandbox"

    def __init__(self, base_url: str, ca_file: Path, timeout_s: float = 2.0) -> None:
        self.base_url = base_url.rstrip("/")
        context = ssl.create_default_context(cafile=str(ca_file))
        self._client = httpx.Client(base_url=self.base_url, verify=context, timeout=timeout_s)

    def close(self) -> None:
        self._client.close()

    def health(self) -> dict[str, object]:
        try:
            ok = self._client.get("/health").status_code == 200
        except httpx.HTTPError as e:
            return {"healthy": False, "error": type(e).__name__}
        return {"healthy": ok}

    def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        try:
            response = self._client.post(path, json=body)
        except httpx.TimeoutException as e:
            raise PaymentOutcomeUnknown(f"{path} timed out") from e
        except httpx.TransportError as e:
            raise PaymentOutcomeUnknown(f"{path} unreachable: {type(e).__name__}") from e
        return _not_a_server_error(path, response)

    def tokenize(self, number: str, exp_month: int, exp_year: int, cvc: str) -> dict[str, Any]:
        """For clients and tests; the platform's own API never accepts a card number."""
        card = {"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": cvc}
        response = self._client.post("/v1/tokens", json=card)
        if response.status_code != 201:
            raise InvalidInput("card rejected", {"code": response.json()["error"]["code"]})
        result: dict[str, Any] = response.json()
        return result

    def charge(
        self, *, amount: Decimal, currency: str, method: str, source: str, idempotency_key: str
    ) -> ChargeResult:
        response = self._post("/v1/charges", {
            "amount": str(amount), "currency": currency, "method": method, "source": source,
            "idempotency_key": idempotency_key,
        })  # fmt: skip
        if response.status_code in (200, 201):
            return _result(response.json())
        if response.status_code == 422:
            code = response.json().get("error", {}).get("code", "invalid")
            return ChargeResult(status="declined", provider_ref=None, code=str(code))
        raise PaymentFailed("the payment provider failed", {"status": response.status_code})

    def find_charge(self, idempotency_key: str) -> ChargeResult | None:
        try:
            response = self._client.get(f"/v1/charges/by-key/{idempotency_key}")
        except httpx.HTTPError as e:
            raise PaymentOutcomeUnknown("reconciliation query failed") from e
        if response.status_code == 404:
            return None
        if _not_a_server_error("/v1/charges/by-key", response).status_code != 200:
            raise PaymentOutcomeUnknown(f"reconciliation query answered {response.status_code}")
        return _result(response.json())

    def refund(self, *, provider_ref: str, amount: Decimal, idempotency_key: str) -> RefundResult:
        response = self._post("/v1/refunds", {"charge_id": provider_ref, "amount": str(amount),
                                              "idempotency_key": idempotency_key})  # fmt: skip
        if response.status_code in (200, 201):
            return RefundResult(status="refunded", provider_ref=str(response.json()["id"]))
        return RefundResult(status="failed", provider_ref=None)

    def ledger(self) -> dict[str, list[dict[str, Any]]]:
        result: dict[str, list[dict[str, Any]]] = self._client.get("/v1/ledger").json()
        return result


def _not_a_server_error(path: str, response: httpx.Response) -> httpx.Response:
    """A 5xx says nothing about whether the provider acted (it may have charged or refunded
    before failing): the outcome is unknown, to be asked again, never a refusal."""
    if response.status_code >= 500:
        raise PaymentOutcomeUnknown(f"{path} answered {response.status_code}")
    return response


def _result(body: dict[str, Any]) -> ChargeResult:
    return ChargeResult(
        status=str(body["status"]), provider_ref=str(body["id"]), code=body.get("code"),
        brand=body.get("brand"), last4=body.get("last4"), exp_month=body.get("exp_month"),
        exp_year=body.get("exp_year"),
    )  # fmt: skip
