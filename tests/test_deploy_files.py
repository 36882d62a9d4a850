"""docker-compose.yml and the Dockerfile, checked without a Docker engine: they parse, and every
command they run is a real zoomorch command with real options."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import typer.main
import yaml

from zoomorch.cli.main import app

REPO = Path(__file__).resolve().parents[1]


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _check_zoomorch_command(argv: list[str]) -> None:
    """Fail unless argv (after `zoomorch`) names a command and only options it has."""
    group = typer.main.get_command(app)
    commands = getattr(group, "commands", {})
    name, *rest = argv
    command = commands.get(name)
    assert command is not None, f"zoomorch has no command {name!r}"
    options = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    for arg in rest:
        if arg.startswith("--"):
            assert arg.split("=", 1)[0] in options, f"zoomorch {name} has no option {arg}"
    # click itself must accept the arguments (types, arity) without running the command.
    context = command.make_context(f"zoomorch {name}", list(rest), resilient_parsing=False)
    context.close()


def test_compose_file_parses_with_service_postgres_and_rehearsal_profiles() -> None:
    services = _compose()["services"]
    assert set(services) == {"zoomorch", "postgres", "sandbox"}
    assert "profiles" not in services["zoomorch"]
    assert services["postgres"]["profiles"] == ["postgres"]
    assert services["sandbox"]["profiles"] == ["rehearsal"]


def test_compose_commands_are_real_zoomorch_commands_and_options(
    monkeypatch: Any, tmp_path: Path,
) -> None:
    monkeypatch.chdir(REPO)  # `config` in the service's command is resolved like in /app
    for name in ("zoomorch", "sandbox"):
        command = _compose()["services"][name]["command"]
        assert isinstance(command, list)
        _check_zoomorch_command([str(part) for part in command])


def test_compose_publishes_ports_on_loopback_only_and_passes_no_secret_values() -> None:
    services = _compose()["services"]
    for service in services.values():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), port
        for key, value in (service.get("environment") or {}).items():
            if any(word in key for word in ("SECRET", "PASSWORD", "TOKEN")):
                # Only references to the environment, or placeholders for rehearsals.
                assert str(value).startswith("${"), f"{key} holds a literal value"


def test_dockerfile_entrypoint_and_command_name_a_real_command() -> None:
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    entry = json.loads(re.search(r"^ENTRYPOINT (\[.*\])$", text, re.M)[1])  # type: ignore[index]
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", text, re.M)[1])  # type: ignore[index]
    assert entry == ["zoomorch"]
    _check_zoomorch_command(cmd)
    assert "8400" in text and "HEALTHCHECK" in text and "/healthz" in text
