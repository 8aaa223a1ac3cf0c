"""Settings are parsed once at start-up; a bad value stops the bridge with a message naming the variable."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.settings import PROJECT_ROOT, SETTINGS, Settings, SettingsError, load_settings


def test_defaults_give_a_typed_frozen_settings_object() -> None:
    settings = load_settings(environ={})
    assert isinstance(settings, Settings)
    assert settings.env == "development" and settings.port == 8000 and settings.search_log_retention_days == 90
    assert settings.build_dir == PROJECT_ROOT / "var" / "build"
    with pytest.raises(AttributeError):
        settings.env = "production"  # type: ignore[misc]


@pytest.mark.parametrize(("name", "value", "complaint"), [
    ("KB_TICKET_RATE_LIMIT", "lots", "rate such as 10/minute"),
    ("KB_ENV", "prod", "development, production"),
    ("KB_SEARCH_LOG_RETENTION_DAYS", "ninety", "whole number"),
    ("KB_SEARCH_LOG_RETENTION_DAYS", "0", "1 or more"),
    ("PORT", "70000", "1 to 65535"),
    ("KB_SMTP_URL", "mail.example.com:25", "smtp://"),
    ("KB_SITE_URL", "help.example.com", "http:// or https://"),
    ("KB_MAIL_FROM", "support at example", "email address"),
    ("KB_DATABASE_URL", "mysql://root@localhost/kb", "sqlite://"),
    ("KB_RATELIMIT_STORAGE_URL", "127.0.0.1:6379", "redis://"),
])
def test_a_bad_value_names_its_variable(name: str, value: str, complaint: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(environ={name: value})
    assert str(raised.value).startswith(f"{name}={value!r}:") and complaint in str(raised.value)


def test_the_support_address_may_carry_a_display_name() -> None:
    assert load_settings(environ={"KB_MAIL_FROM": "Help Centre <Support@Example.com>"}).mail_from == \
        "Help Centre <support@example.com>"


def test_empty_means_unset_where_a_setting_may_be_unset() -> None:
    settings = load_settings(environ={"KB_TICKET_RATE_LIMIT": "", "KB_SMTP_URL": ""})
    assert settings.ticket_rate_limit is None and settings.smtp_url is None


def test_site_url_follows_the_port_served_unless_set() -> None:
    assert load_settings(environ={}, overrides={"PORT": "41455"}).public_url == "http://127.0.0.1:41455"
    settings = load_settings(environ={"KB_SITE_URL": "https://help.example.com/"}, overrides={"PORT": "41455"})
    assert settings.public_url == "https://help.example.com"


def test_every_setting_the_code_reads_is_declared() -> None:
    """No module of the package reads an environment variable of ours behind the declaration's back."""
    declared = {setting.name for setting in SETTINGS}
    reads = re.compile(r'(?:environ\.get|getenv)\(\s*"(\w+)"|environ\["(\w+)"\](?!\s*=)')
    read = {name for path in (PROJECT_ROOT / "bridge").rglob("*.py") if path.name != "settings.py"
            for match in reads.finditer(path.read_text(encoding="utf-8")) for name in match.groups() if name}
    ours = {name for name in read if name.startswith("KB_") or name == "PORT"}
    assert ours <= declared, f"read but not declared in bridge/settings.py: {sorted(ours - declared)}"


def test_kb_serve_refuses_a_bad_setting_naming_it(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "KB_TICKET_RATE_LIMIT": "lots", "KB_BUILD_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "bridge.cli", "serve"], capture_output=True, text=True,
                            cwd=PROJECT_ROOT, env=env, timeout=120)
    assert result.returncode == 2
    assert "KB_TICKET_RATE_LIMIT='lots'" in result.stderr
