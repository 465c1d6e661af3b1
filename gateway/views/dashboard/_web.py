"""HTTP plumbing the dashboard's pages share: templates, security headers, form bodies."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

# Scripts and styles only from here; plotly sets inline styles on the elements it draws.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
       "base-uri 'none'; object-src 'none'")
PAGE_HEADERS = {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY",
                "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
                "Cache-Control": "no-store"}
MAX_FORM_BYTES = 16 * 1024


def environment() -> Environment:
    return Environment(loader=PackageLoader("gateway.views", "templates"),
                       autoescape=select_autoescape(["html"]), trim_blocks=True,
                       lstrip_blocks=True)


def page(env: Environment, template: str, context: dict[str, Any], *,
         status: int = 200) -> HTMLResponse:
    html = env.get_template(template).render(context)
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


def url(path: str, **params: str | None) -> str:
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{path}?{urlencode(kept)}" if kept else path


def same_origin(request: Request) -> bool:
    """A POST from a page of this site: its Origin (when the browser sends one) is our host."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlparse(origin).netloc == request.headers.get("host")


async def form(request: Request) -> dict[str, str] | None:
    """An urlencoded form body (None: not one, or too large)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def safe_next(target: str | None) -> str:
    """Where to go after login: a dashboard page of this site, never elsewhere."""
    if target and target.startswith("/dashboard") and "//" not in target and "\\" not in target:
        return target
    return "/dashboard"


def attachment(body: bytes, media_type: str, filename: str, ascii_name: str) -> Response:
    from urllib.parse import quote

    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(body, media_type=media_type,
                    headers={"Content-Disposition": disposition, "Cache-Control": "no-store",
                             "X-Content-Type-Options": "nosniff"})
