"""The dashboard (/dashboard): the coordination brief in a browser, in Chinese — pickers,
charts from the package's own plotly.js, drill-down lists, print layout, XLSX and CSV export,
and frozen briefs. It reads everything through GraphQL as the logged-in viewer."""

from gateway.views.dashboard._app import Dashboard

__all__ = ["Dashboard"]
