"""The dashboard's browser session: the viewer's credentials in one encrypted cookie.

The cookie holds the API key, officer and purpose the viewer logged in with, so that every page
asks GraphQL as that viewer. It is Fernet-encrypted (AES + HMAC) rather than only signed: a key
copied out of a browser's cookie store is useless without the process's secret. HttpOnly and
SameSite=Strict keep it from scripts and from cross-site requests; it expires after `max_age_s`.
The form token of a POST is an HMAC of the session's nonce, so it is bound to one login.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import orjson
from cryptography.fernet import Fernet, InvalidToken
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "juheli_dashboard"
PATH = "/dashboard"


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who the dashboard asks GraphQL as."""

    key: str
    officer: str
    purpose: str
    nonce: str

    @property
    def aggregates_only(self) -> bool:
        return self.purpose == "statistics"


class Sessions:
    def __init__(self, secret: str | bytes | None = None, *, max_age_s: int = 8 * 3600) -> None:
        """`secret`: any string shared by the replicas; None, a fresh one for this process
        (sessions then end with it)."""
        raw = secret.encode() if isinstance(secret, str) else secret or secrets.token_bytes(32)
        derived = hashlib.sha256(b"juheli-dashboard-session\0" + raw).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))
        self._mac_key = hashlib.sha256(b"juheli-dashboard-form\0" + raw).digest()
        self.max_age_s = max_age_s

    def viewer(self, request: Request) -> Viewer | None:
        token = request.cookies.get(COOKIE)
        if not token:
            return None
        try:
            data = orjson.loads(self._fernet.decrypt(token.encode(), ttl=self.max_age_s))
            return Viewer(str(data["k"]), str(data["o"]), str(data["p"]), str(data["n"]))
        except (InvalidToken, orjson.JSONDecodeError, KeyError, TypeError):
            return None

    def start(self, response: Response, request: Request, *, key: str, officer: str,
              purpose: str) -> None:
        payload = {"k": key, "o": officer, "p": purpose, "n": secrets.token_urlsafe(16)}
        token = self._fernet.encrypt(orjson.dumps(payload)).decode()
        response.set_cookie(COOKIE, token, max_age=self.max_age_s, path=PATH, httponly=True,
                            samesite="strict", secure=request.url.scheme == "https")

    @staticmethod
    def end(response: Response, request: Request) -> None:
        response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="strict",
                               secure=request.url.scheme == "https")

    def form_token(self, viewer: Viewer) -> str:
        return hmac.new(self._mac_key, viewer.nonce.encode(), hashlib.sha256).hexdigest()

    def form_token_ok(self, viewer: Viewer, token: str) -> bool:
        return hmac.compare_digest(self.form_token(viewer), token)
