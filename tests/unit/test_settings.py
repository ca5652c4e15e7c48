"""Settings precedence (flags > env > TOML > defaults) and errors that name the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from jwtgate.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [
        "JWTGATE_PORT",
        "JWTGATE_HOST",
        "JWTGATE_OAUTH__LEEWAY_SECONDS",
        "JWTGATE_CACHE_URL",
        "JWTGATE_DATABASE_URL",
        "JWTGATE_PUBLIC_URL",
    ]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults() -> None:
    settings = load_settings()
    assert settings.port == 8080
    assert settings.host == "127.0.0.1"
    assert settings.cache_url == "memory://"
    assert settings.oauth.leeway_seconds == 15
    assert settings.oauth.max_assertion_lifetime == 300
    assert settings.oauth.max_client_assertion_lifetime == 3600
    assert settings.effective_public_url == "http://127.0.0.1:8080"
    assert settings.effective_database_url.startswith("sqlite+aiosqlite:///")
    assert settings.effective_database_url.endswith("/var/jwtgate.db")


def test_precedence_flag_over_env_over_toml(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "jwtgate.toml").write_text(
        'port = 7000\nhost = "127.0.0.2"\npublic_url = "https://toml.example"\n'
        "[oauth]\nleeway_seconds = 20\naccess_token_ttl = 600\n"
    )
    assert load_settings().port == 7000
    monkeypatch.setenv("JWTGATE_PORT", "7100")
    monkeypatch.setenv("JWTGATE_OAUTH__LEEWAY_SECONDS", "30")
    settings = load_settings()
    assert settings.port == 7100
    assert settings.host == "127.0.0.2"
    assert settings.oauth.leeway_seconds == 30
    assert settings.oauth.access_token_ttl == 600
    assert load_settings(port=7200).port == 7200
    assert settings.effective_public_url == "https://toml.example"


def test_explicit_config_file(tmp_path: Path) -> None:
    config = tmp_path / "other.toml"
    config.write_text('cache_url = "redis://127.0.0.1:6379/2"\n')
    assert load_settings(config).cache_url == "redis://127.0.0.1:6379/2"
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("env", "value", "needle"),
    [
        ("JWTGATE_PORT", "eighty", "setting port (flag, JWTGATE_PORT"),
        ("JWTGATE_PORT", "70000", "setting port"),
        ("JWTGATE_CACHE_URL", "memcached://x", "setting cache_url"),
        ("JWTGATE_DATABASE_URL", "mysql://x/y", "setting database_url"),
        ("JWTGATE_PUBLIC_URL", "ftp://x", "setting public_url"),
        ("JWTGATE_OAUTH__LEEWAY_SECONDS", "-1", "setting oauth.leeway_seconds"),
    ],
)
def test_bad_values_name_the_setting(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, needle: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert needle in str(raised.value)


def test_unknown_toml_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "jwtgate.toml").write_text("prot = 1\n")
    with pytest.raises(SettingsError, match="prot"):
        load_settings()


def test_database_urls_get_async_drivers() -> None:
    assert (
        load_settings(database_url="postgresql://u@h/db").database_url
        == "postgresql+asyncpg://u@h/db"
    )
    assert load_settings(database_url="sqlite:///x.db").database_url == "sqlite+aiosqlite:///x.db"
    assert load_settings(public_url="https://a.example/").effective_public_url == (
        "https://a.example"
    )
