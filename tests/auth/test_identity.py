"""Who is asking: API keys and JWTs, and a coded 401 for everything that is not right."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import jwt
import orjson
import pytest
from asgi_lifespan import LifespanManager
from cryptography.hazmat.primitives.asymmetric import rsa

from gateway.auth import keys
from gateway.settings import Settings
from tests.conftest import agency_key

QUERY = "{ communities { code } }"


@pytest.fixture(scope="module")
def signing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = orjson.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    path = tmp_path_factory.mktemp("jwks") / "jwks.json"
    path.write_bytes(orjson.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig"}]}))
    return key, path


@pytest.fixture(scope="module")
async def api(synced: Any, store_uri: str, district: Any, signing: tuple[Any, Path],
              tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    from gateway.app import create_app

    settings = Settings(data_dir=tmp_path_factory.mktemp("auth-data"), jwt_keys_file=signing[1],
                        jwt_issuer="https://idp.test", jwt_audience="juheli", jwt_leeway_s=30,
                        auth_cache_s=0)
    app = create_app(settings, store_uri=store_uri, partners=district.partners_config())
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://juheli.test") as c:
            yield c


def _token(key: Any, *, kid: str = "k1", **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": "https://idp.test", "aud": "juheli", "sub": "u-1001", "name": "李娜",
            "agency": "jwt-agency", "iat": now, "exp": now + 300, **claims}
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})


async def _ask(api: httpx.AsyncClient, credential: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {credential}"} if credential is not None else {}
    return await api.post("/graphql", json={"query": QUERY}, headers=headers)


def _code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


async def test_api_keys_expire_rotate_and_revoke(api: httpx.AsyncClient, store_uri: str) -> None:
    key = await agency_key(store_uri, "key-agency", "hotline", ["*"])
    ok = await _ask(api, key)
    assert ok.status_code == 200 and len(ok.json()["data"]["communities"]) == 3

    key_id, secret = keys.split(key) or ("", "")
    wrong = await _ask(api, f"jhl_{key_id}_{secret[:-2]}xx")
    unknown = await _ask(api, f"jhl_000000000000_{secret}")
    # a wrong secret and an unknown key read the same: nothing says which keys exist
    assert (wrong.status_code, _code(wrong)) == (unknown.status_code, _code(unknown)) == (
        401, "UNAUTHENTICATED")
    assert wrong.json()["errors"][0]["message"] == unknown.json()["errors"][0]["message"]
    assert wrong.headers["www-authenticate"] == "Bearer"

    pool = await asyncpg.create_pool(store_uri, min_size=1, max_size=1)
    try:
        rotated = await keys.rotate(pool, key_id, grace_hours=1)
        assert (await _ask(api, rotated.key)).status_code == 200
        assert (await _ask(api, key)).status_code == 200, "the old key works during the grace"
        await pool.execute("UPDATE api_keys SET expires_at = now() - interval '1 second' "
                           "WHERE id = $1", key_id)
        expired = await _ask(api, key)
        assert (expired.status_code, _code(expired)) == (401, "CREDENTIALS_EXPIRED")
        await keys.revoke(pool, rotated.id)
        revoked = await _ask(api, rotated.key)
        assert (revoked.status_code, _code(revoked)) == (401, "CREDENTIALS_REVOKED")
    finally:
        await pool.close()


async def test_malformed_credentials_are_refused(api: httpx.AsyncClient) -> None:
    for bad in ["", "not-a-key", "jhl__", "a.b.c", "Basic dXNlcjpwYXNz"]:
        response = await api.post("/graphql", json={"query": QUERY},
                                  headers={"Authorization": bad or "Bearer"})
        assert response.status_code == 401, bad
        assert _code(response) in {"UNAUTHENTICATED", "TOKEN_INVALID"}, bad


async def test_jwts_are_checked_for_signature_issuer_audience_and_clock(
    api: httpx.AsyncClient, store_uri: str, signing: tuple[Any, Path]
) -> None:
    await agency_key(store_uri, "jwt-agency", "mediation", ["*"])
    key, _ = signing
    good = await _ask(api, _token(key))
    assert good.status_code == 200, good.text
    now = int(time.time())
    assert (await _ask(api, _token(key, exp=now - 10))).status_code == 200, "skew within leeway"
    cases = {
        "CREDENTIALS_EXPIRED": _token(key, exp=now - 120),
        "TOKEN_INVALID": _token(key, aud="someone-else"),
    }
    cases_more = [
        _token(key, iss="https://evil.test"),
        _token(key, nbf=now + 600),  # clock skew beyond tolerance
        _token(key, kid="unknown"),
        _token(rsa.generate_private_key(public_exponent=65537, key_size=2048)),  # not our key
        jwt.encode({"iss": "https://idp.test", "aud": "juheli", "agency": "jwt-agency",
                    "exp": now + 300}, "s" * 40, algorithm="HS256", headers={"kid": "k1"}),
        _token(key)[:-4] + "AAAA",  # tampered signature
    ]
    for code, token in cases.items():
        response = await _ask(api, token)
        assert (response.status_code, _code(response)) == (401, code)
    for token in cases_more:
        response = await _ask(api, token)
        assert (response.status_code, _code(response)) == (401, "TOKEN_INVALID"), token
    nobody = await _ask(api, _token(key, agency="no-such-agency"))
    assert (nobody.status_code, _code(nobody)) == (401, "CREDENTIALS_REVOKED")


async def test_the_token_names_the_officer(api: httpx.AsyncClient, store_uri: str,
                                           signing: tuple[Any, Path]) -> None:
    await agency_key(store_uri, "jwt-agency", "mediation", ["*"])
    from gateway.auth.identity import Authenticator

    pool = await asyncpg.create_pool(store_uri, min_size=1, max_size=1)
    try:
        auth = Authenticator(pool, Settings(jwt_keys_file=signing[1], jwt_issuer="https://idp.test"))
        principal = await auth.principal({"authorization": f"Bearer {_token(signing[0])}",
                                          "x-purpose": "case_handling"})
    finally:
        await pool.close()
    assert principal.agency is not None and principal.agency.role == "mediation"
    assert (principal.officer, principal.purpose, principal.via) == ("李娜", "case_handling", "jwt")


def test_key_secrets_are_stored_hashed() -> None:
    secret = "s3cret"
    assert keys.hash_secret(secret) != secret and len(keys.hash_secret(secret)) == 64
    assert keys.secret_matches(secret, keys.hash_secret(secret))
    assert not keys.secret_matches("other", keys.hash_secret(secret))
