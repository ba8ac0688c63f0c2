"""Passwords are hashed with bcrypt at the configured cost: 12 unless told otherwise, never below 12 in
production, and an unknown user's login costs what a wrong password costs."""

import pytest

from auth_service.passwords import PasswordHasher
from shared.config import Config, UnsafeConfiguration
from tests.conftest import Person


def test_a_password_is_stored_only_as_a_bcrypt_hash_at_the_default_cost(production_cost_server, db_cursor):
    person = Person(production_cost_server.url, password="plain text never stored").register()
    db_cursor.execute("SELECT password_hash FROM users WHERE id = %s", (person.id,))
    (stored,) = db_cursor.fetchone()
    assert stored.startswith("$2b$12$")
    assert "plain text" not in stored
    assert person.login().get("/auth/me").status_code == 200


def test_the_cost_is_a_setting(person, db_cursor):
    db_cursor.execute("SELECT password_hash FROM users WHERE id = %s", (person.id,))
    assert db_cursor.fetchone()[0].startswith("$2b$04$")  # the suite's servers run with BCRYPT_ROUNDS=4


@pytest.mark.parametrize("rounds", [4, 12])
def test_an_unknown_user_is_checked_against_a_hash_of_the_same_cost(rounds):
    hasher = PasswordHasher(threads=1, rounds=rounds)
    stored = hasher.hash("the right password")
    assert stored.startswith(f"$2b${rounds:02d}$")
    assert hasher.verify("the right password", stored)
    assert not hasher.verify("a wrong password", stored)
    assert not hasher.verify("the right password", None)
    assert hasher._unknown_user_hash.startswith(f"$2b${rounds:02d}$".encode())


def test_production_refuses_a_cost_below_12():
    safe = {"PARLEY_ENV": "production", "JWT_SECRET": "k" * 32, "DATABASE_URL": "postgresql://db/x"}
    with pytest.raises(UnsafeConfiguration, match="BCRYPT_ROUNDS must be at least 12"):
        Config.from_env({**safe, "BCRYPT_ROUNDS": "11"})
    assert Config.from_env({**safe, "BCRYPT_ROUNDS": "13"}).bcrypt_rounds == 13
    assert Config.from_env(safe).bcrypt_rounds == 12


@pytest.mark.parametrize("rounds", ["3", "32"])
def test_a_cost_bcrypt_cannot_use_is_refused_anywhere(rounds):
    with pytest.raises(UnsafeConfiguration, match="BCRYPT_ROUNDS must be from 4 to 31"):
        Config.from_env({"JWT_SECRET": "k" * 32, "BCRYPT_ROUNDS": rounds})
