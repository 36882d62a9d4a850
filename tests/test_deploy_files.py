"""docker-compose.yml, deploy/ and the Dockerfile, checked without a Docker engine (nor Caddy):
they parse, two replicas share one PostgreSQL behind the proxy, no secret is written in them, and
every command they run is a real zoomorch command with real options."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import typer.main
import yaml

from zoomorch.cli.main import app

REPO = Path(__file__).resolve().parents[1]


REPLICAS = ("zoomorch-1", "zoomorch-2")
SECRET_WORDS = ("SECRET", "PASSWORD", "TOKEN", "CLIENT_ID", "ACCOUNT_ID", "WEBHOOK_URL")
# A whole value that is one compose interpolation, with no default or an empty one
# (`${VAR}`, `${VAR:-}`, `${VAR:?message}`): the value itself comes from .env.
INTERPOLATION = re.compile(r"\$\{[A-Z0-9_]+(?::?-|:?\?[^}]*)?\}")


def _yaml(path: str) -> dict[str, Any]:
    data = yaml.safe_load((REPO / path).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _compose() -> dict[str, Any]:
    return _yaml("docker-compose.yml")


def _caddyfile() -> str:
    lines = (REPO / "deploy" / "Caddyfile").read_text(encoding="utf-8").splitlines()
    return "\n".join(line.split("#", 1)[0].rstrip() for line in lines)  # without comments


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def _is_secret(name: str) -> bool:
    return any(word in name for word in SECRET_WORDS)


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


def test_compose_has_postgres_two_replicas_the_proxy_and_a_sandbox_profile() -> None:
    services = _compose()["services"]
    assert set(services) == {"postgres", *REPLICAS, "proxy", "sandbox"}
    for name in ("postgres", *REPLICAS, "proxy"):
        assert "profiles" not in services[name], name  # `docker compose up` runs them all
    assert services["sandbox"]["profiles"] == ["sandbox"]
    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert any(str(v).endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
    assert postgres["volumes"][0].split(":")[0] in _compose()["volumes"]


def test_replicas_are_one_image_with_distinct_ids_and_the_same_postgres_state_url() -> None:
    services = _compose()["services"]
    replicas = [services[name] for name in REPLICAS]
    assert {r["image"] for r in replicas} == {"zoomorch:latest"}
    assert {r["build"] for r in replicas} == {"."}
    assert replicas[0]["command"] == replicas[1]["command"]
    envs = [_environment(r) for r in replicas]
    assert [e["ZOOMORCH_REPLICA_ID"] for e in envs] == list(REPLICAS)
    urls = {e["ZOOMORCH_STATE_URL"] for e in envs}
    assert len(urls) == 1
    url = urls.pop()
    match = re.fullmatch(
        r"postgresql\+psycopg://zoomorch:(\$\{[^}]+\})@postgres:5432/zoomorch", url)
    assert match, url  # the postgres service below, its password from .env
    assert match[1].startswith("${POSTGRES_PASSWORD")
    assert _environment(services["postgres"])["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD")
    for replica in replicas:
        assert replica["depends_on"]["postgres"]["condition"] == "service_healthy"
        check = " ".join(replica["healthcheck"]["test"])
        assert "http://127.0.0.1:8400/healthz" in check
        assert replica["env_file"] == [".env"]
        # Each replica's own state directory (board.key fallback, logs): never shared.
        assert any(v.endswith(":/var/lib/zoomorch") for v in replica["volumes"])
        assert "./config:/app/config:ro" in replica["volumes"]
    assert len({v for r in replicas for v in r["volumes"]}) == 3
    # Board links must verify on every replica: one secret, required.
    assert {e["ZOOMORCH_BOARD_SECRET"] for e in envs} == {
        "${ZOOMORCH_BOARD_SECRET:?set ZOOMORCH_BOARD_SECRET in .env (the same for every replica)}"}


def test_only_the_proxy_publishes_ports_and_binds_all_interfaces_on_purpose() -> None:
    services = _compose()["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}
    assert {str(p) for p in services["proxy"]["ports"]} >= {"80:80", "443:443"}
    for name in REPLICAS:
        assert services[name]["expose"] == ["8400"]
        command = services[name]["command"]
        # Loopback is serve's default; 0.0.0.0 must be asked for, and only in the container.
        assert command[command.index("--host") + 1] == "0.0.0.0"
        assert command[command.index("--port") + 1] == "8400"
    text = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    assert "binds 127.0.0.1 by default" in text  # the comment saying why 0.0.0.0 is fine here


def test_compose_files_hold_no_secret_values() -> None:
    for path in ("docker-compose.yml", "deploy/compose.sandbox.yml"):
        for name, service in _yaml(path)["services"].items():
            for key, value in _environment(service).items():
                if _is_secret(key) and value not in ("sandbox-account", "sandbox-client"):
                    assert INTERPOLATION.fullmatch(value), f"{path}: {name}.{key} = {value!r}"
                # Nor inside a longer value (the state URL's password).
                for part in re.split(r"\$\{[^}]*\}", value):
                    assert not re.search(r"://[^/:@]+:[^/@$]+@", part), f"{path}: {name}.{key}"
            assert set(service.get("env_file", [])) <= {".env"}
    # The template lists names only, and .env itself is never committed nor built into the image.
    for line in (REPO / "deploy" / "env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, value = line.split("=", 1)
            assert value == "", f"deploy/env.example sets {name}"
    assert ".env" in (REPO / ".gitignore").read_text(encoding="utf-8").split()
    assert ".env" in (REPO / ".dockerignore").read_text(encoding="utf-8").split()


def test_the_sandbox_profile_and_override_point_the_replicas_at_the_sandbox(
    monkeypatch: Any,
) -> None:
    services = _compose()["services"]
    sandbox = services["sandbox"]
    assert sandbox["image"] == "zoomorch:latest" and "ports" not in sandbox
    command = sandbox["command"]
    assert command[0] == "sandbox"
    assert command[command.index("--port") + 1] == "8765"
    # Its webhooks go through the proxy's internal listener to both replicas.
    assert command[command.index("--webhook-url") + 1] == "http://proxy:8080/zoom/webhook"
    assert re.search(r"^http://proxy:8080 \{$", _caddyfile(), re.M)
    sandbox_env = _environment(sandbox)
    assert sandbox_env["ZOOMORCH_SANDBOX_WEBHOOK_SECRET"].startswith("${ZOOM_WEBHOOK_SECRET_TOKEN")

    override = _yaml("deploy/compose.sandbox.yml")["services"]
    assert set(override) == set(REPLICAS)
    for name in REPLICAS:
        env = _environment(override[name])
        assert env["ZOOM_API_BASE_URL"] == "http://sandbox:8765/v2"
        assert env["ZOOM_OAUTH_URL"] == "http://sandbox:8765/oauth/token"
        # The same client secret the sandbox was given, from .env.
        assert env["ZOOM_CLIENT_SECRET"].startswith("${ZOOMORCH_SANDBOX_CLIENT_SECRET")
        assert sandbox_env["ZOOMORCH_SANDBOX_CLIENT_SECRET"].startswith(
            "${ZOOMORCH_SANDBOX_CLIENT_SECRET")
        # ... and the ids the sandbox expects by default.
        monkeypatch.delenv("ZOOMORCH_SANDBOX_ACCOUNT_ID", raising=False)
        monkeypatch.delenv("ZOOMORCH_SANDBOX_CLIENT_ID", raising=False)
        group = typer.main.get_command(app)
        params = {p.name: p for p in getattr(group, "commands", {})["sandbox"].params}
        assert env["ZOOM_ACCOUNT_ID"] == params["account_id"].default
        assert env["ZOOM_CLIENT_ID"] == params["client_id"].default


def test_caddyfile_balances_both_replicas_checks_health_streams_and_logs_no_query() -> None:
    caddy = _caddyfile()
    assert re.search(r"^\s*reverse_proxy zoomorch-1:8400 zoomorch-2:8400 \{$", caddy, re.M)
    block = caddy[caddy.index("reverse_proxy"):]
    block = block[:block.index("}")]
    assert re.search(r"^\s*health_uri /healthz$", block, re.M)
    assert re.search(r"^\s*flush_interval -1$", block, re.M)
    assert re.search(r"^\s*lb_policy round_robin$", block, re.M)
    for affinity in ("cookie", "ip_hash", "client_ip_hash", "header", "uri_hash"):
        assert f"lb_policy {affinity}" not in block  # no session affinity: none needed
    # The access log drops the query string (board links' ?token=) and the Referer.
    assert re.search(r"^\s*format filter \{$", caddy, re.M)
    assert re.search(r"^\s*request>uri regexp \\\?\.\*\$ \"\"$", caddy, re.M)
    assert re.search(r"^\s*request>headers>Referer delete$", caddy, re.M)
    assert "{$ZOOMORCH_DOMAIN" in caddy  # the site (and its certificate) is the domain
    # Both sites use the one snippet (proxy, health, log).
    assert caddy.count("import zoomorch") == 2
    assert ("./deploy/Caddyfile:/etc/caddy/Caddyfile:ro"
            in _compose()["services"]["proxy"]["volumes"])


def test_health_body_the_proxy_expects_is_what_healthz_answers() -> None:
    from starlette.responses import JSONResponse

    wanted = re.search(r"health_body `([^`]+)`", _caddyfile())
    assert wanted is not None
    def body(reachable: bool) -> str:
        return bytes(JSONResponse({"database": {"reachable": reachable}}).body).decode()

    assert re.search(wanted[1], body(True))
    assert not re.search(wanted[1], body(False))


def test_compose_commands_are_real_zoomorch_commands_and_options(monkeypatch: Any) -> None:
    monkeypatch.chdir(REPO)  # `config` in the service's command is resolved like in /app
    for name in (*REPLICAS, "sandbox"):
        command = _compose()["services"][name]["command"]
        assert isinstance(command, list)
        _check_zoomorch_command([str(part) for part in command])


def test_serve_help_lists_every_flag_the_compose_command_passes() -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name in REPLICAS:
        for arg in _compose()["services"][name]["command"]:
            if str(arg).startswith("--"):
                assert re.search(rf"(?<![\w-]){re.escape(arg)}(?![\w-])", result.output), arg


def test_dockerfile_entrypoint_and_command_name_a_real_command() -> None:
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    entry = json.loads(re.search(r"^ENTRYPOINT (\[.*\])$", text, re.M)[1])  # type: ignore[index]
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", text, re.M)[1])  # type: ignore[index]
    assert entry == ["zoomorch"]
    _check_zoomorch_command(cmd)
    assert "8400" in text and "HEALTHCHECK" in text and "/healthz" in text


def test_dockerfile_is_slim_runs_as_non_root_installs_postgres_and_bakes_no_secret() -> None:
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim$", text, re.M)
    assert re.search(r"^RUN pip install \"\.\[postgres\]\"$", text, re.M)
    users = re.findall(r"^USER (\S+)$", text, re.M)
    assert users and users[-1] not in ("root", "0")
    assert text.index("USER ") < text.index("ENTRYPOINT")
    for line in re.findall(r"^(?:ENV|ARG)\b.*(?:\n\s+.*)*", text, re.M):
        for name in re.findall(r"([A-Z_]+)=", line):
            assert not _is_secret(name), f"the Dockerfile sets {name}"
    assert not re.search(r"^COPY .*\.env", text, re.M)
