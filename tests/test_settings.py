"""Settings: read from CCO_* variables, and every one of them documented in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from cco_enrich.settings import Settings, redact_url

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_setting_is_in_the_readme() -> None:
    missing = [
        f"CCO_{name.upper()}"
        for name in Settings.model_fields
        if f"CCO_{name.upper()}" not in README
    ]
    assert missing == []


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCO_REDIS_URL", "redis://example:6380/2")
    monkeypatch.setenv("CCO_MAILTO", "curator@example.org")
    monkeypatch.setenv("CCO_ADMIN_TOKEN", "t0ken")
    settings = Settings()
    assert settings.redis_url == "redis://example:6380/2"
    assert settings.is_polite
    assert "mailto:curator@example.org" in settings.user_agent
    assert settings.admin_token is not None
    assert settings.admin_token.get_secret_value() == "t0ken"
    assert "t0ken" not in repr(settings)


def test_without_mailto_the_user_agent_names_no_contact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CCO_MAILTO", raising=False)
    settings = Settings()
    assert not settings.is_polite
    assert "mailto" not in settings.user_agent


def test_the_redis_password_never_shows_in_the_settings() -> None:
    settings = Settings(redis_url="redis://cco:pw-secret@redis:6379/0", api_token="tok-secret")
    assert "pw-secret" not in repr(settings)
    assert "tok-secret" not in repr(settings)
    assert settings.redis_url_redacted == "redis://cco:***@redis:6379/0"
    assert redact_url("redis://:pw@redis/0") == "redis://:***@redis/0"
    assert redact_url("redis://redis:6379/0") == "redis://redis:6379/0"
