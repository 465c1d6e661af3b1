"""Runtime settings, read from the environment (prefix `JUHELI_`) and an optional `.env` file.

`DATABASE_URL` (no prefix, the common convention) selects a PostgreSQL server for the store;
without it the store lives in an embedded server under `data_dir`.
"""

from __future__ import annotations

import tomllib
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from gateway.linkage.match import Thresholds


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("juheli", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JUHELI_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    """Where the embedded store, the generated district and the partner config live."""

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "JUHELI_DATABASE_URL")
    )
    """libpq URI of the store's database; unset = embedded server in `data_dir/pg`."""

    partners_file: Path | None = None
    """TOML file describing each partner system (kind, DSN / base URL / folder)."""

    request_deadline_ms: int = 800
    """Whole-request budget for partner calls; each partner's timeout lives inside it."""

    partner_timeout_ms: int = 600
    """Default per-partner timeout for one live batched call."""

    pool_max: int = 10
    """Store connection pool size per process."""

    link_accept: float = 4.5
    """Linkage: a record links automatically at this score (summed match weights) or above."""

    link_review: float = 2.0
    """Linkage: from this score up to `link_accept` the link is proposed for human review."""

    link_margin: float = 1.5
    """Linkage: the best household must beat the runner-up by this much, or it goes to review."""

    link_weights: Literal["learned", "hand"] = "learned"
    """Linkage: match weights learned by EM on each batch run, or the hand-set ones."""

    @property
    def link_thresholds(self) -> Thresholds:
        if not self.link_review <= self.link_accept:
            raise ValueError("JUHELI_LINK_REVIEW must not exceed JUHELI_LINK_ACCEPT")
        return Thresholds(self.link_accept, self.link_review, self.link_margin, self.link_weights)

    @cached_property
    def partners(self) -> dict[str, dict[str, Any]]:
        path = self.partners_file or self.data_dir / "partners.toml"
        if not path.exists():
            return {}
        with path.open("rb") as fh:
            return dict(tomllib.load(fh).get("partners", {}))
