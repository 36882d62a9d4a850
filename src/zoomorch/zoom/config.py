"""Where the client's credentials and settings come from: ZOOM_* variables or a .env file.

An *account profile* (``account = "ilo"`` in an event file) reads the same variables with the
profile's name as a suffix: ``ZOOM_ACCOUNT_ID__ILO``, ``ZOOM_CLIENT_ID__ILO``,
``ZOOM_CLIENT_SECRET__ILO``, ``ZOOM_PLAN__ILO``, ``ZOOM_API_BASE_URL__ILO`` and
``ZOOM_OAUTH_URL__ILO`` (environment or the same .env file). No profile, or ``default``, is the
unsuffixed variables. A profile never falls back to another profile's values.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

from zoomorch.rate_labels import Plan
from zoomorch.zoom.errors import ZoomConfigError

DEFAULT_API_BASE_URL = "https://api.zoom.us/v2"
DEFAULT_OAUTH_URL = "https://zoom.us/oauth/token"

DEFAULT_PROFILE = "default"

_REQUIRED = {
    "ZOOM_ACCOUNT_ID": "the Account ID",
    "ZOOM_CLIENT_ID": "the Client ID",
    "ZOOM_CLIENT_SECRET": "the Client Secret",
}


class ZoomCredentials(BaseModel):
    """A Server-to-Server OAuth app's credentials and the endpoints to use them on."""

    model_config = ConfigDict(frozen=True)

    account_id: str
    client_id: str
    client_secret: SecretStr
    api_base_url: str = DEFAULT_API_BASE_URL
    oauth_url: str = DEFAULT_OAUTH_URL

    @field_validator("api_base_url", "oauth_url")
    @classmethod
    def _no_trailing_slash(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"{url!r} is not an http(s) URL")
        return url.rstrip("/")


class ZoomSettings(BaseModel):
    """Everything the client reads from the environment."""

    model_config = ConfigDict(frozen=True)

    credentials: ZoomCredentials
    plan: Plan = Plan.PRO


def read_environment(
    env_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """ZOOM_* settings from ``environ`` (default os.environ) over those in ``env_file``.

    The file is read with python-dotenv without touching os.environ, so secrets stay out
    of child processes' environments.
    """
    values: dict[str, str] = {}
    if env_file is not None:
        path = Path(env_file)
        if not path.is_file():
            raise ZoomConfigError(
                f"Secrets file {path} does not exist: create it with ZOOM_ACCOUNT_ID=..., "
                "ZOOM_CLIENT_ID=... and ZOOM_CLIENT_SECRET=... lines, or pass another path."
            )
        values.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    source = os.environ if environ is None else environ
    values.update({k: v for k, v in source.items() if k.startswith("ZOOM_")})
    return values


def is_default_profile(profile: str | None) -> bool:
    return profile is None or profile == DEFAULT_PROFILE


def variable_name(name: str, profile: str | None = None) -> str:
    """``ZOOM_CLIENT_ID`` for the default profile, ``ZOOM_CLIENT_ID__ILO`` for ``ilo``."""
    if is_default_profile(profile):
        return name
    assert profile is not None
    return f"{name}__{profile.upper()}"


def load_settings(
    env_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    profile: str | None = None,
) -> ZoomSettings:
    """Build settings from the environment (the ``profile``'s variables when one is named); a
    missing variable names itself and the fix."""
    values = read_environment(env_file, environ)
    if not is_default_profile(profile):
        # The profile's variables under their plain names: the rest reads them as usual.
        values = {name: values[variable_name(name, profile)]
                  for name in (*_REQUIRED, "ZOOM_PLAN", "ZOOM_API_BASE_URL", "ZOOM_OAUTH_URL")
                  if variable_name(name, profile) in values}
    missing = [name for name in _REQUIRED if not values.get(name, "").strip()]
    if missing:
        where = f" or in {env_file}" if env_file is not None else " or in a .env file"
        lines = "; ".join(f"{variable_name(name, profile)} ({_REQUIRED[name]})"
                          for name in missing)
        whose = "" if is_default_profile(profile) else f" for account profile {profile!r}"
        raise ZoomConfigError(
            f"Missing Zoom setting(s){whose}: {lines}. Set them in the environment{where} — "
            "the values are on your Server-to-Server OAuth app's 'App Credentials' page "
            "in the Zoom App Marketplace."
        )
    plan_name = values.get("ZOOM_PLAN", Plan.PRO.value).strip().lower()
    try:
        plan = Plan(plan_name)
    except ValueError:
        choices = ", ".join(p.value for p in Plan)
        raise ZoomConfigError(
            f"{variable_name('ZOOM_PLAN', profile)}={plan_name!r} is not a Zoom plan: "
            f"use one of {choices} "
            "(webinars need a paid plan)."
        ) from None
    try:
        credentials = ZoomCredentials(
            account_id=values["ZOOM_ACCOUNT_ID"].strip(),
            client_id=values["ZOOM_CLIENT_ID"].strip(),
            client_secret=SecretStr(values["ZOOM_CLIENT_SECRET"].strip()),
            api_base_url=values.get("ZOOM_API_BASE_URL") or DEFAULT_API_BASE_URL,
            oauth_url=values.get("ZOOM_OAUTH_URL") or DEFAULT_OAUTH_URL,
        )
    except ValueError:
        # pydantic's message would echo the input; name the variables instead.
        raise ZoomConfigError(
            f"{variable_name('ZOOM_API_BASE_URL', profile)} / "
            f"{variable_name('ZOOM_OAUTH_URL', profile)} must be http(s) URLs, e.g. "
            f"{DEFAULT_API_BASE_URL} and {DEFAULT_OAUTH_URL}."
        ) from None
    return ZoomSettings(credentials=credentials, plan=plan)
