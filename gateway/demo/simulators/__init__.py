"""Simulators of the district's REST partners: one Starlette app per partner, one process each.

Run one with `python -m gateway.demo.simulators <hall|hotline|mediation|property> --db PATH
--port 0`; it prints `LISTENING http://host:port` once it accepts requests. The wire formats are
those of docs/partners.md §3 and, for the property SaaS, §5.1.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from starlette.applications import Starlette

from gateway.demo.simulators import hall, hotline, mediation, property
from gateway.demo.simulators._common import Resource

__all__ = ["APPS", "PARTNERS", "RESOURCES", "Resource", "build_app"]

# Partner slug -> resource -> its key and update-time fields.
RESOURCES: Mapping[str, Mapping[str, Resource]] = {
    "hall": hall.RESOURCES,
    "hotline": hotline.RESOURCES,
    "mediation": mediation.RESOURCES,
    "property": property.RESOURCES,
}
APPS: Mapping[str, Callable[[Path], Starlette]] = {
    "hall": hall.build_app,
    "hotline": hotline.build_app,
    "mediation": mediation.build_app,
    "property": property.build_app,
}
PARTNERS = tuple(APPS)


def build_app(partner: str, db: Path) -> Starlette:
    """The app of REST partner `partner`, serving the SQLite file `db`."""
    return APPS[partner](db)
