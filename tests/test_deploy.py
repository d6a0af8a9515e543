"""Deployment files, checked by parsing them (no Docker engine runs here)."""

from __future__ import annotations

import configparser
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]


def _compose() -> dict[str, Any]:
    """docker-compose.yml as data."""
    data = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def test_compose_has_the_daemon_postgres_and_a_mail_catcher() -> None:
    """Services, their order of start, healthchecks, ports and the data volume."""
    services = _compose()["services"]
    assert {"db", "mail", "migrate", "monitor"} <= set(services)
    for name in ("db", "mail", "monitor"):
        assert services[name]["healthcheck"]["test"], f"{name} has no healthcheck"
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    deps = services["monitor"]["depends_on"]
    assert deps["migrate"]["condition"] == "service_completed_successfully"
    assert any(p.endswith(":8080") for p in services["monitor"]["ports"])
    assert "pgdata:/var/lib/postgresql/data" in services["db"]["volumes"]
    assert "pgdata" in _compose()["volumes"]


def test_compose_takes_secrets_from_the_environment() -> None:
    """No password is written in the file; the daemon reads .env."""
    compose = _compose()
    services = compose["services"]
    assert services["monitor"]["env_file"] == ".env"
    assert services["db"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD")
    url = services["monitor"]["environment"]["MONITOR_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://") and "${POSTGRES_PASSWORD}" in url
    example = (REPO / ".env.example").read_text()
    assert "POSTGRES_PASSWORD=" in example and "MONITOR_WEBHOOK_SECRET=" in example


def test_dockerfile_runs_the_daemon_with_a_healthcheck() -> None:
    """The image starts `monitor run`, checks /healthz, and runs unprivileged."""
    text = (REPO / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["monitor"]' in text and '"run"' in text
    assert "HEALTHCHECK" in text and "/healthz" in text
    assert "USER monitor" in text
    for path in ("monitor", "migrations", "config"):
        assert f"COPY {path} {path}" in text


def test_systemd_unit_upgrades_then_runs() -> None:
    """The unit migrates before starting and stops with SIGTERM."""
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(REPO / "deploy" / "talks-monitor.service")
    service = unit["Service"]
    assert service["ExecStartPre"].endswith("monitor db upgrade")
    assert "monitor run" in service["ExecStart"]
    assert service["KillSignal"] == "SIGTERM" and service["Restart"] == "on-failure"
