"""The IDE's page and assets over HTTP: same origin only, every asset from installed files, and
nothing of it in production or with --no-ide."""

from __future__ import annotations

from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import pytest

from gateway.ide import CONTENT_SECURITY_POLICY
from tests.conftest import app_client
from tests.ide.conftest import page_refs

HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
WHEEL = "graphene_django_graphiql_static"
MEDIA = {"js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8"}


async def ide_page(client: httpx.AsyncClient) -> httpx.Response:
    page = await client.get("/graphql", headers=HTML)
    assert page.status_code == 200, page.text[:500]
    assert page.headers["content-type"].startswith("text/html")
    return page


def installed(name: str) -> bytes:
    """The file as the wheel (or our package) installed it."""
    ours = resources.files("gateway.ide").joinpath("static", name)
    if ours.is_file():
        return ours.read_bytes()
    return resources.files(WHEEL).joinpath("static", WHEEL, name).read_bytes()


async def test_the_page_names_no_other_origin_and_its_policy_allows_none(
        client: httpx.AsyncClient) -> None:
    page = await ide_page(client)
    refs = page_refs(page.text)
    assert refs, "the page names no asset"
    for ref in refs:
        parts = urlsplit(ref)
        assert not parts.scheme and not parts.netloc, ref
        assert parts.path.startswith("/ide/static/"), ref
    assert "http://" not in page.text and "https://" not in page.text
    policy = page.headers["content-security-policy"]
    assert policy == CONTENT_SECURITY_POLICY
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    for name in ("script-src", "style-src", "connect-src", "img-src", "font-src"):
        sources = set(directives[name].split())
        assert sources <= {"'self'", "data:"}, (name, sources)
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy


async def test_every_asset_is_served_from_the_installed_files(client: httpx.AsyncClient) -> None:
    refs = page_refs((await ide_page(client)).text)
    names = {ref.rsplit("/", 1)[1] for ref in refs}
    assert {"graphiql.min.js", "graphiql.min.css", "react.production.min.js",
            "react-dom.production.min.js", "ide.js", "ide.css"} == names
    for ref in refs:
        name = ref.rsplit("/", 1)[1]
        plain = await client.get(ref, headers={"accept-encoding": "identity"})
        assert plain.status_code == 200, ref
        assert plain.headers["content-type"] == MEDIA[name.rsplit(".", 1)[1]]
        assert plain.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert plain.headers["x-content-type-options"] == "nosniff"
        assert plain.content == installed(name), name
        packed = await client.get(ref, headers={"accept-encoding": "gzip"})
        assert packed.headers["content-encoding"] == "gzip"
        assert packed.content == plain.content  # httpx inflated it
        assert int(packed.headers["content-length"]) < len(plain.content)


def test_graphiql_is_version_2_or_later_with_tabs() -> None:
    bundle = installed("graphiql.min.js").decode()
    assert "defaultTabs" in bundle and "defaultHeaders" in bundle and "onTabChange" in bundle


@pytest.mark.parametrize("path", [
    "/ide/static/0000000000000000/graphiql.min.js",  # an old release's digest
    "/ide/static/{digest}/nosuch.js",
    "/ide/static/{digest}/..%2F..%2Fsettings.py",
    "/ide/static/{digest}/graphiql.min.js/more",
    "/ide/static/graphiql.min.js",
])
async def test_an_unknown_asset_is_a_coded_404(client: httpx.AsyncClient, path: str) -> None:
    refs = page_refs((await ide_page(client)).text)
    digest = next(r for r in refs if r.endswith("/graphiql.min.js")).split("/")[3]
    response = await client.get(path.format(digest=digest))
    assert response.status_code == 404
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_production_serves_no_ide(production: httpx.AsyncClient,
                                        client: httpx.AsyncClient) -> None:
    page = await production.get("/graphql", headers=HTML)
    assert page.status_code == 404 and "<html" not in page.text.lower()
    assert page.json()["errors"][0]["extensions"]["code"] == "IDE_DISABLED"
    for ref in page_refs((await ide_page(client)).text):
        asset = await production.get(ref)
        assert asset.status_code == 404, ref
        assert asset.json()["errors"][0]["extensions"]["code"] == "IDE_DISABLED"


async def test_no_ide_serves_none_in_development(synced: Any, district: Any, store_uri: str,
                                                 settings: Any, client: httpx.AsyncClient) -> None:
    from gateway.app import create_app

    app = create_app(settings, store_uri=store_uri, partners=district.partners_config(),
                     ide=False)
    refs = page_refs((await ide_page(client)).text)
    async with app_client(app, client.headers) as off:
        page = await off.get("/graphql", headers=HTML)
        assert page.status_code == 404
        assert orjson.loads(page.content)["errors"][0]["extensions"]["code"] == "IDE_DISABLED"
        asset = await off.get(refs[0])
        assert asset.status_code == 404
        assert orjson.loads(asset.content)["errors"][0]["extensions"]["code"] == "IDE_DISABLED"
