"""Configuration from the environment: defaults that work in development, refusals in production."""

import subprocess
import sys

import pytest

from shared.config import Config, UnsafeConfiguration, log_format_from_env
from tests.conftest import REPO

STRONG_SECRET = "k" * 32


def test_development_works_with_no_settings_but_its_data_folder(tmp_path):
    config = Config.from_env({"PARLEY_DATA_DIR": str(tmp_path)})
    assert config.env == "development"
    assert config.port == 8080
    assert config.database_url is None
    config.check_safe()


def test_development_makes_a_random_secret_once_and_keeps_it_in_the_data_folder(tmp_path):
    first = Config.from_env({"PARLEY_DATA_DIR": str(tmp_path / "one")}).jwt_secret
    assert len(first) >= 64
    assert Config.from_env({"PARLEY_DATA_DIR": str(tmp_path / "one")}).jwt_secret == first  # every start after
    assert Config.from_env({"PARLEY_DATA_DIR": str(tmp_path / "two")}).jwt_secret != first  # made, not written
    secret_file = tmp_path / "one" / "jwt-secret"
    assert secret_file.read_text() == first
    assert secret_file.stat().st_mode & 0o777 == 0o600
    assert list((tmp_path / "one").iterdir()) == [secret_file]  # no draft left behind
    assert Config.from_env({"PARLEY_DATA_DIR": str(tmp_path / "one"), "JWT_SECRET": STRONG_SECRET}).jwt_secret == (
        STRONG_SECRET
    )


def test_no_secret_is_written_in_the_source():
    sources = [
        path.read_text() for folder in ("shared", "auth_service", "all_in_one") for path in (REPO / folder).glob("*.py")
    ]
    assert not any("development-secret" in source or "JWT_SECRET =" in source for source in sources)


def test_an_empty_secret_is_refused_anywhere():
    with pytest.raises(UnsafeConfiguration, match="JWT_SECRET must be set"):
        Config(database_url="postgresql://db/x").check_safe()


def test_settings_come_from_the_environment():
    config = Config.from_env(
        {
            "PORT": "9000",
            "DATABASE_URL": "postgresql://db/x",
            "JWT_SECRET": STRONG_SECRET,
            "TOKEN_TTL_SECONDS": "60",
            "REDIS_URL": "redis://r:6379/0",
        }
    )
    assert (config.port, config.database_url, config.jwt_secret, config.token_ttl_seconds, config.redis_url) == (
        9000,
        "postgresql://db/x",
        STRONG_SECRET,
        60,
        "redis://r:6379/0",
    )


@pytest.mark.parametrize(
    "environ, complaint",
    [
        ({"DATABASE_URL": "postgresql://db/x"}, "JWT_SECRET must be set in production"),
        ({"DATABASE_URL": "postgresql://db/x", "JWT_SECRET": "k" * 31}, "at least 32 bytes"),
        ({"JWT_SECRET": STRONG_SECRET}, "DATABASE_URL must be set"),
        (
            {"DATABASE_URL": "postgresql://db/x", "JWT_SECRET": STRONG_SECRET, "JWT_PREVIOUS_SECRETS": "p" * 31},
            "JWT_PREVIOUS_SECRETS must be at least 32 bytes",
        ),
    ],
)
def test_production_refuses_unsafe_settings(environ, complaint):
    with pytest.raises(UnsafeConfiguration, match=complaint):
        Config.from_env({"PARLEY_ENV": "production", **environ})


def test_production_with_safe_settings_starts_with_secure_cookies():
    config = Config.from_env(
        {"PARLEY_ENV": "production", "JWT_SECRET": STRONG_SECRET, "DATABASE_URL": "postgresql://db/x"}
    )
    assert config.production
    assert config.cookie_secure


def test_previous_secrets_are_a_comma_separated_list():
    config = Config.from_env({"JWT_SECRET": STRONG_SECRET, "JWT_PREVIOUS_SECRETS": "a" * 32 + ",," + "b" * 32})
    assert config.jwt_previous_secrets == ("a" * 32, "b" * 32)
    assert Config.from_env({"JWT_SECRET": STRONG_SECRET}).jwt_previous_secrets == ()


def test_a_non_numeric_setting_is_refused():
    with pytest.raises(UnsafeConfiguration, match="PORT must be an integer"):
        Config.from_env({"JWT_SECRET": STRONG_SECRET, "PORT": "eighty"})


def test_the_log_format_is_json_or_text():
    assert log_format_from_env({}) == "json"
    assert log_format_from_env({"LOG_FORMAT": "Text"}) == "text"
    with pytest.raises(UnsafeConfiguration, match="LOG_FORMAT must be one of json, text"):
        log_format_from_env({"LOG_FORMAT": "xml"})


def test_the_process_refuses_to_start_in_production_with_the_default_secret():
    result = subprocess.run(
        [sys.executable, "-m", "all_in_one"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PARLEY_ENV": "production", "DATABASE_URL": "postgresql://127.0.0.1:1/none"},
    )
    assert result.returncode != 0
    assert "JWT_SECRET must be set in production" in result.stderr
