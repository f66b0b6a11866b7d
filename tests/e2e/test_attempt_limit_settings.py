"""The attempt limits are settings (EMPORIUM_AUTH__...): they were fixed in code, so a shop
could not tighten login or password-reset limits without a patch."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from emporium.settings import Settings

PASSWORD = "correct horse battery"


@pytest.fixture
def embedded_settings(embedded_settings: Settings) -> Settings:
    limits = {"logins_per_account": 3, "resets_per_email": 2, "limit_window_minutes": 2}
    return embedded_settings.model_copy(
        update={"auth": embedded_settings.auth.model_copy(update=limits)}
    )


def _code(response: Any) -> str:
    return str(response.json()["error"]["code"])


def test_the_configured_login_and_reset_limits_apply(client: TestClient) -> None:
    email = "limits@example.com"
    assert client.post("/auth/register", json={"email": email, "password": PASSWORD}).is_success
    wrong = {"email": email, "password": "not the password"}
    answers = [client.post("/auth/login", json=wrong) for _ in range(4)]
    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    assert _code(answers[-1]) == "rate_limited"
    assert 1 <= answers[-1].json()["error"]["details"]["retry_after_seconds"] <= 120
    resets = [client.post("/auth/password-reset", json={"email": email}) for _ in range(3)]
    assert [r.status_code for r in resets] == [202, 202, 429]
