"""Combined views for joint coordination meetings: facts projected at sync (`facts.py`,
`snapshots.py`), the coordination brief computed in SQL over them, the dashboard, and frozen
briefs for the minutes (docs/views.md)."""
