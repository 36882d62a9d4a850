"""Credentials and settings from the environment and from a .env-style secrets file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from zoomorch.rate_labels import Plan, RateLabel
from zoomorch.sandbox import Sandbox
from zoomorch.zoom import ZoomClient, ZoomConfigError, load_settings

ENV = {"ZOOM_ACCOUNT_ID": "acc", "ZOOM_CLIENT_ID": "cid", "ZOOM_CLIENT_SECRET": "sec-123"}


@pytest.fixture
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("ZOOM_"):
            monkeypatch.delenv(name)


def test_settings_default_to_zoom_endpoints_and_pro_plan() -> None:
    settings = load_settings(environ=ENV)
    assert settings.credentials.api_base_url == "https://api.zoom.us/v2"
    assert settings.credentials.oauth_url == "https://zoom.us/oauth/token"
    assert settings.plan is Plan.PRO


def test_missing_variable_is_named_with_how_to_set_it() -> None:
    with pytest.raises(ZoomConfigError) as caught:
        load_settings(environ={"ZOOM_ACCOUNT_ID": "acc", "ZOOM_CLIENT_SECRET": "sec-123"})
    message = str(caught.value)
    assert "ZOOM_CLIENT_ID" in message
    assert "ZOOM_ACCOUNT_ID" not in message.split("Set them")[0]
    assert "App Marketplace" in message
    assert "sec-123" not in message


def test_unknown_plan_lists_the_choices() -> None:
    with pytest.raises(ZoomConfigError, match="free, pro, business"):
        load_settings(environ={**ENV, "ZOOM_PLAN": "enterprise-plus"})


def test_plan_sets_the_client_side_pace() -> None:
    settings = load_settings(environ={**ENV, "ZOOM_PLAN": "free"})
    client = ZoomClient(settings.credentials, settings.plan)
    assert client.transport.limiter.limit(RateLabel.LIGHT) == 4


def test_secrets_file_is_read_without_touching_os_environ(
    tmp_path: Path, clean_environ: None, sandbox: Sandbox
) -> None:
    env_file = tmp_path / "zoom.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in sandbox.env().items()))

    client = ZoomClient.from_env(env_file)

    assert client.request("GET", "/users/me") is not None
    assert not [name for name in os.environ if name.startswith("ZOOM_")]


def test_environment_wins_over_the_secrets_file(
    tmp_path: Path, clean_environ: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("ZOOM_ACCOUNT_ID=from-file\nZOOM_CLIENT_ID=cid\nZOOM_CLIENT_SECRET=s\n")
    monkeypatch.setenv("ZOOM_ACCOUNT_ID", "from-env")
    assert load_settings(env_file).credentials.account_id == "from-env"


def test_missing_secrets_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ZoomConfigError, match=r"nope\.env does not exist"):
        load_settings(tmp_path / "nope.env", environ={})
