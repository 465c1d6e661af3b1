"""Signed JWTs from an identity provider. Only asymmetric algorithms are accepted (no `none`,
no shared secrets that a leaked config would turn into a forging key); the keys come from a
PEM public key or a JWKS document on disk; issuer, audience, expiry and not-before are checked
with a configurable leeway for clock skew."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import orjson
from jwt import PyJWK

from gateway.errors import CredentialsExpired, TokenInvalid

ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256", "EdDSA"]


@dataclass(frozen=True, slots=True)
class Claims:
    agency: str
    officer: str | None
    subject: str | None


class TokenVerifier:
    def __init__(self, keys_file: Path, *, issuer: str, audience: str, agency_claim: str = "agency",
                 leeway_s: float = 30) -> None:
        self.issuer, self.audience = issuer, audience
        self.agency_claim, self.leeway = agency_claim, leeway_s
        text = keys_file.read_text(encoding="utf-8")
        self._by_kid: dict[str | None, Any] = {}
        if text.lstrip().startswith("{"):
            for jwk in orjson.loads(text).get("keys", []):
                key = PyJWK(jwk)
                self._by_kid[jwk.get("kid")] = key.key
        else:
            self._by_kid[None] = text.encode()

    def _key(self, token: str) -> Any:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise TokenInvalid("malformed token") from exc
        if kid in self._by_kid:
            return self._by_kid[kid]
        if None in self._by_kid and len(self._by_kid) == 1:
            return self._by_kid[None]
        raise TokenInvalid("token signed by an unknown key")

    def verify(self, token: str) -> Claims:
        try:
            claims = jwt.decode(
                token, self._key(token), algorithms=ALGORITHMS, audience=self.audience,
                issuer=self.issuer, leeway=self.leeway,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise CredentialsExpired("token expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise TokenInvalid("token not valid yet (clock skew beyond tolerance?)") from exc
        except jwt.InvalidAudienceError as exc:
            raise TokenInvalid("token is for another audience") from exc
        except jwt.InvalidIssuerError as exc:
            raise TokenInvalid("token from an unknown issuer") from exc
        except jwt.PyJWTError as exc:
            raise TokenInvalid("invalid token") from exc
        agency = claims.get(self.agency_claim)
        if not isinstance(agency, str) or not agency:
            raise TokenInvalid(f"token has no {self.agency_claim!r} claim")
        officer = claims.get("name") or claims.get("preferred_username")
        return Claims(agency, str(officer) if officer else None,
                      str(claims["sub"]) if claims.get("sub") else None)
