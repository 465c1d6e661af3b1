"""The IDE's HTML page: same-origin scripts and styles only, and the tabs as JSON data.

No inline script runs: the settings travel in a `<script type="application/json">` block that
`ide.js` reads, so the Content-Security-Policy can say `script-src 'self'` and nothing else. The
policy is the proof that the page reaches no third-party origin: the browser refuses any.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from html import escape
from typing import Any

import orjson

from gateway.ide._assets import Asset
from gateway.ide._tabs import Tab

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",  # GraphiQL's CSS embeds its fonts as data: URLs
    "connect-src 'self'",  # /graphql, and its WebSocket where subscriptions are served
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
))

_PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Juheli GraphQL IDE</title>
{links}
{scripts}
</head>
<body>
<div id="graphiql" data-loading="1">Loading the GraphQL IDE…</div>
<script type="application/json" id="juheli-ide">{settings}</script>
</body>
</html>
"""


def _json_for_html(data: Any) -> str:
    """JSON that cannot end the script block it sits in."""
    text = orjson.dumps(data).decode()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def settings(tabs: list[Tab], *, endpoint: str) -> dict[str, Any]:
    """What ide.js hands to GraphiQL. Stored tabs are keyed by the examples' digest, so a new
    release opens its new examples instead of a browser's old tabs."""
    digest = hashlib.sha256("\0".join(t.document for t in tabs).encode()).hexdigest()[:12]
    return {
        "endpoint": endpoint,
        "storagePrefix": f"juheli-ide:{digest}:",
        "defaultHeaders": _pretty(tabs[0].group.headers()) if tabs else "",
        "tabs": [{"query": t.query, "variables": _pretty(t.variables),
                  "headers": _pretty(t.group.headers())} for t in tabs],
    }


def _pretty(data: dict[str, Any]) -> str:
    return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() if data else ""


def render(assets: Iterable[Asset], tabs: list[Tab], *, endpoint: str) -> str:
    ordered = list(assets)
    links = "\n".join(f'<link rel="stylesheet" href="{escape(a.url)}">'
                      for a in ordered if not a.is_script)
    scripts = "\n".join(f'<script defer src="{escape(a.url)}"></script>'
                        for a in ordered if a.is_script)
    return _PAGE.format(links=links, scripts=scripts,
                        settings=_json_for_html(settings(tabs, endpoint=endpoint)))
