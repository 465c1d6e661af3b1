"""GraphiQL served offline (/graphql in a browser, /ide/static/…): assets from installed files,
example operations for each user group preloaded as tabs, off in production (docs/http.md)."""

from gateway.ide._app import Ide
from gateway.ide._assets import Asset, load_assets
from gateway.ide._page import CONTENT_SECURITY_POLICY
from gateway.ide._tabs import Tab, tabs

__all__ = ["CONTENT_SECURITY_POLICY", "Asset", "Ide", "Tab", "load_assets", "tabs"]
