"""The token check every service shares: forged, tampered, expired, revoked and orphaned tokens
all get 401, from auth_service over HTTP and from any app built on shared.service."""

import base64
import dataclasses
import hashlib
import hmac
import json
import time

import jwt
import pytest
from flask import g

from shared.errors import Unauthorized
from shared.service import create_service_app
from shared.tokens import decode_token, issue_token, key_id, login_required


@pytest.fixture(scope="module")
def protected_client(config):
    """A service built on the shared base with one route behind login_required, as every service's are."""
    app = create_service_app("probe", "user_service", config)

    @app.get("/whoami")
    @login_required
    def whoami():
        return {"id": g.user["id"]}

    return app.test_client()


def b64(data):
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def forged_tokens(config, user_id):
    now = int(time.time())
    claims = {"sub": str(user_id), "jti": "forged", "iat": now, "exp": now + 600}
    good = jwt.encode(claims, config.jwt_secret, algorithm="HS256")
    header, payload, signature = good.split(".")
    return {
        "tampered-payload": f"{header}.{b64({**claims, 'sub': str(user_id + 1)})}.{signature}",
        "tampered-signature": f"{header}.{payload}.{signature[:-4]}AAAA",
        "alg-none": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "hs512": jwt.encode(claims, config.jwt_secret, algorithm="HS512"),
        "other-secret": jwt.encode(claims, "another secret that is long enough!!", algorithm="HS256"),
        "no-exp": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, config.jwt_secret, algorithm="HS256"),
        "no-jti": jwt.encode({k: v for k, v in claims.items() if k != "jti"}, config.jwt_secret, algorithm="HS256"),
        "sub-not-a-number": jwt.encode({**claims, "sub": "admin"}, config.jwt_secret, algorithm="HS256"),
        # Signed with our key, but nothing we would issue (issue 15: these were 500s).
        "sub-past-bigint": jwt.encode({**claims, "sub": str(2**63)}, config.jwt_secret, algorithm="HS256"),
        "sub-zero": jwt.encode({**claims, "sub": "0"}, config.jwt_secret, algorithm="HS256"),
        "sub-negative": jwt.encode({**claims, "sub": "-1"}, config.jwt_secret, algorithm="HS256"),
        "sub-padded": jwt.encode({**claims, "sub": f" {user_id}"}, config.jwt_secret, algorithm="HS256"),
        "jti-with-nul": jwt.encode({**claims, "jti": "a\u0000b"}, config.jwt_secret, algorithm="HS256"),
        "jti-with-newline": jwt.encode({**claims, "jti": "a\nb"}, config.jwt_secret, algorithm="HS256"),
        "jti-too-long": jwt.encode({**claims, "jti": "j" * 65}, config.jwt_secret, algorithm="HS256"),
        "jti-not-a-string": jwt.encode({**claims, "jti": 7}, config.jwt_secret, algorithm="HS256"),
        # The username ws_service believes without asking the database: only what we would issue.
        "name-with-nul": jwt.encode({**claims, "name": "a\u0000bc"}, config.jwt_secret, algorithm="HS256"),
        "name-too-long": jwt.encode({**claims, "name": "n" * 33}, config.jwt_secret, algorithm="HS256"),
        "name-not-a-string": jwt.encode({**claims, "name": ["bob"]}, config.jwt_secret, algorithm="HS256"),
        "joined-not-a-time": jwt.encode({**claims, "joined": "yesterday"}, config.jwt_secret, algorithm="HS256"),
        "joined-not-a-string": jwt.encode({**claims, "joined": 1}, config.jwt_secret, algorithm="HS256"),
        "not-a-jwt": "hello.world",
    }


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the hs512 forgery
@pytest.mark.parametrize(
    "kind",
    [
        "tampered-payload",
        "tampered-signature",
        "alg-none",
        "hs512",
        "other-secret",
        "no-exp",
        "no-jti",
        "sub-not-a-number",
        "sub-past-bigint",
        "sub-zero",
        "sub-negative",
        "sub-padded",
        "jti-with-nul",
        "jti-with-newline",
        "jti-too-long",
        "jti-not-a-string",
        "name-with-nul",
        "name-too-long",
        "name-not-a-string",
        "not-a-jwt",
    ],
)
def test_a_forged_or_malformed_token_is_401_over_http(person, config, kind):
    token = forged_tokens(config, person.id)[kind]
    response = person.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_an_expired_token_is_401(person, config):
    expired, _ = issue_token(dataclasses.replace(config, token_ttl_seconds=-1), person.id)
    response = person.get("/auth/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"


def test_a_token_expires_though_its_signature_was_checked_before(person, config, monkeypatch):
    token, claims = issue_token(dataclasses.replace(config, token_ttl_seconds=60), person.id)
    assert decode_token(config, token)["user_id"] == person.id  # verified, and kept
    monkeypatch.setattr(time, "time", lambda: claims["exp"])
    with pytest.raises(Unauthorized) as refused:
        decode_token(config, token)
    assert refused.value.code == "token_expired"


def test_claims_handed_out_are_copies(person, config):
    token, _ = issue_token(config, person.id)
    decode_token(config, token)["user_id"] = 0
    assert decode_token(config, token)["user_id"] == person.id


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token abc"])
def test_an_authorization_header_that_is_not_bearer_is_401(person, header):
    response = person.get("/auth/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_a_revoked_token_is_401_in_another_service(person, protected_client):
    headers = {"Authorization": f"Bearer {person.token}"}
    assert protected_client.get("/whoami", headers=headers).json == {"id": person.id}
    assert person.post("/auth/logout").status_code == 202
    response = protected_client.get("/whoami", headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "token_revoked"


def test_the_token_of_a_deleted_user_is_401(person, protected_client, db_cursor):
    db_cursor.execute("DELETE FROM users WHERE id = %s", (person.id,))
    response = protected_client.get("/whoami", headers={"Authorization": f"Bearer {person.token}"})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "token_revoked"


def test_the_cookie_is_accepted_where_no_header_is_sent(person, protected_client):
    protected_client.set_cookie("parley_token", person.token)
    assert protected_client.get("/whoami").json == {"id": person.id}
    protected_client.delete_cookie("parley_token")


def test_issued_tokens_carry_the_claims_the_contract_names(config):
    token, claims = issue_token(config, 42)
    decoded = jwt.decode(token, config.jwt_secret, algorithms=["HS256"])
    assert decoded == claims
    assert set(decoded) == {"sub", "jti", "iat", "exp"}
    assert decoded["sub"] == "42"
    assert decoded["exp"] - decoded["iat"] == config.token_ttl_seconds
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_a_token_from_login_carries_who_it_belongs_to(person):
    claims = jwt.decode(person.token, options={"verify_signature": False})
    me = person.get("/auth/me").json()
    assert (claims["name"], claims["joined"]) == (me["username"], me["created_at"])


def test_issued_tokens_name_their_key_without_revealing_it(config):
    token, _ = issue_token(config, 42)
    kid = jwt.get_unverified_header(token)["kid"]
    assert kid == key_id(config.jwt_secret)
    assert config.jwt_secret not in kid and len(kid) == 16


OLD_SECRET = "the secret before the rotation, 32 bytes or more"
NEW_SECRET = "the secret after the rotation, also 32 bytes or more"


def test_a_rotated_secret_keeps_its_tokens_valid_while_it_is_listed_as_previous(person, config):
    before = dataclasses.replace(config, jwt_secret=OLD_SECRET)
    during = dataclasses.replace(config, jwt_secret=NEW_SECRET, jwt_previous_secrets=(OLD_SECRET,))
    after = dataclasses.replace(config, jwt_secret=NEW_SECRET)
    old_token, _ = issue_token(before, person.id)
    new_token, _ = issue_token(during, person.id)
    assert jwt.get_unverified_header(new_token)["kid"] == key_id(NEW_SECRET)

    assert decode_token(during, old_token)["user_id"] == person.id
    assert decode_token(during, new_token)["user_id"] == person.id
    assert decode_token(after, new_token)["user_id"] == person.id
    with pytest.raises(Unauthorized) as refused:
        decode_token(after, old_token)
    assert refused.value.code == "invalid_token"
    with pytest.raises(Unauthorized):  # the new key does not verify under the old name
        decode_token(
            after,
            jwt.encode(
                jwt.decode(new_token, options={"verify_signature": False}),
                NEW_SECRET,
                algorithm="HS256",
                headers={"kid": key_id(OLD_SECRET)},
            ),
        )


@pytest.mark.parametrize("kid", ["0123456789abcdef", 7, ["a"], ""])
def test_a_token_naming_a_key_we_do_not_have_is_401(person, config, kid):
    now = int(time.time())
    claims = {"sub": str(person.id), "jti": "x", "iat": now, "exp": now + 600}
    # Signed by hand: pyjwt refuses to write a kid that is not a string.
    signing_input = f"{b64({'alg': 'HS256', 'typ': 'JWT', 'kid': kid})}.{b64(claims)}"
    signature = hmac.new(config.jwt_secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
    response = person.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_a_token_from_before_kids_is_verified_with_the_current_key(person, config):
    claims = jwt.decode(person.token, options={"verify_signature": False})
    token = jwt.encode(claims, config.jwt_secret, algorithm="HS256")
    assert "kid" not in jwt.get_unverified_header(token)
    assert person.get("/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
