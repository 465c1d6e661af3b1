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
    """Default per-partner timeout for one live batched call, retries included (a partner's
    table in `partners.toml` may set its own `timeout_ms`)."""

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

    audit_retention_days: int = Field(default=183, ge=1)
    """Audit rows older than this leave the live table for verifiable archive segments
    (`gateway audit archive`); they are moved, never dropped."""

    # --- partner resilience (gateway/adapters/resilience/, docs/resilience.md) -----------------
    # A partner's table in partners.toml may override: timeout_ms, attempt_timeout_ms, retries,
    # breaker_failures, breaker_open_ms.

    partner_attempt_timeout_ms: int | None = Field(default=None, ge=1)
    """One attempt's timeout; unset = the whole partner timeout (a slow answer is not retried)."""

    retry_max: int = Field(default=2, ge=0)
    """Extra attempts of one live read at most; reads only, mutations are never retried."""

    retry_budget: float = Field(default=0.2, ge=0)
    """Retries allowed per first attempt to a partner, over `retry_window_s` (0.2 = 20%)."""

    retry_window_s: float = Field(default=10.0, gt=0)
    """The retry budget's sliding window."""

    retry_backoff_ms: float = Field(default=20.0, ge=0)
    """Base of the full-jitter exponential backoff; a partner's Retry-After is a floor."""

    breaker_failures: int = Field(default=5, ge=1)
    """Consecutive failures of a partner that open its circuit breaker."""

    breaker_open_ms: int = Field(default=5000, ge=1)
    """How long an open breaker fails calls fast before it lets one probe through."""

    # --- identity and access (gateway/auth/) ---------------------------------------------

    jwt_keys_file: Path | None = None
    """PEM public key or JWKS document that signs accepted JWTs; unset: JWTs are refused."""

    jwt_issuer: str = "juheli-idp"
    """The `iss` a JWT must carry."""

    jwt_audience: str = "juheli"
    """The `aud` a JWT must carry."""

    jwt_agency_claim: str = "agency"
    """The claim naming the agency (its slug) in a JWT."""

    jwt_leeway_s: float = 30
    """Clock skew tolerated on exp / nbf / iat."""

    auth_cache_s: float = 5
    """How long a process trusts what it read of keys, agencies and grants (revocation delay)."""

    # --- query limits, trusted documents, rate limits (gateway/limits/, docs/limits.md) --------

    mode: Literal["development", "production"] = "development"
    """production: trusted documents only, no introspection, field suggestions or IDE."""

    max_depth: int = Field(default=6, ge=1)
    """Deepest field nesting (leaf included, counted through fragments); QUERY_TOO_DEEP."""

    max_aliases: int = Field(default=15, ge=0)
    """Aliases in one operation, counted through fragments; TOO_MANY_ALIASES."""

    max_directives: int = Field(default=50, ge=0)
    """Directives in one operation, counted through fragments; TOO_MANY_DIRECTIVES."""

    max_tokens: int = Field(default=1000, ge=1)
    """Lexical tokens in an ad-hoc document (trusted documents are exempt); TOO_MANY_TOKENS."""

    max_cost: int = Field(default=5000, ge=1)
    """Estimated cost: every field 1, times the list sizes above it; QUERY_TOO_COSTLY."""

    list_size: int = Field(default=10, ge=1)
    """Cost: the size assumed for a list that takes no `first` argument."""

    max_page_size: int = Field(default=100, ge=1, le=100)
    """Largest `first` / `last` a connection takes (the resolvers' own cap is 100)."""

    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    """Largest request body; BODY_TOO_LARGE (HTTP 413)."""

    max_query_bytes: int = Field(default=32 * 1024, ge=1024)
    """Largest ad-hoc query text; QUERY_TOO_LARGE (HTTP 413)."""

    max_variables_bytes: int = Field(default=64 * 1024, ge=1024)
    """Largest `variables` (as JSON); VARIABLES_TOO_LARGE (HTTP 413)."""

    rate_limit: int = Field(default=1200, ge=0)
    """Requests one agency (or, without one, one client address) may make per window; 0 = off."""

    rate_window_s: int = Field(default=60, ge=1)
    """The rate limit's fixed window, in seconds."""

    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("REDIS_URL", "JUHELI_REDIS_URL")
    )
    """Redis for the shared rate-limit counters; unset: the counters live in the store."""

    # --- subscriptions (gateway/subscriptions/, docs/subscriptions.md) -----------------------

    max_subscriptions: int = Field(default=10, ge=1)
    """Operations one websocket may run at once; one more gets TOO_MANY_SUBSCRIPTIONS."""

    max_connections_per_agency: int = Field(default=100, ge=0)
    """Websockets one agency (without one: one client address) may hold open on one process;
    the next is closed with 1013 at its connection_init. 0: no cap."""

    max_pending_connections: int = Field(default=50, ge=0)
    """Websockets from one client address that may await their connection_init on one process;
    the next handshake is refused (HTTP 403). 0: no cap."""

    max_ws_messages_per_s: int = Field(default=50, ge=0)
    """Messages one websocket may send a second, as a burst too; one more closes it with 1008.
    0: no budget."""

    events_check_s: float = Field(default=5.0, gt=0)
    """How often the events listener checks its LISTEN connection and marks its place on the
    channel (a lost connection is reconnected, and the events missed are replayed)."""

    events_retention_h: float = Field(default=72.0, gt=0)
    """How long the store keeps subscription events: how far back a reconnecting listener or a
    subscriber resuming `after` a cursor can replay."""

    # --- stale fallback, health, load shedding (docs/resilience.md) ---------------------------

    stale_fallback: bool = True
    """When a live partner read fails, serve the record's last synced snapshot, marked stale."""

    stale_max_age_s: int = Field(default=0, ge=0)
    """Oldest snapshot ever served, in seconds; 0: any age. A request's `X-Max-Staleness`
    header can only lower it; older snapshots give SNAPSHOT_TOO_OLD instead of data."""

    max_in_flight: int = Field(default=8, ge=0)
    """GraphQL requests one process works on at once; the next gets 503 OVERLOADED at once.
    About throughput × the latency to keep (docs/resilience.md). 0: no cap."""

    retry_after_s: int = Field(default=1, ge=1)
    """The Retry-After of a 503 (overloaded, or the store unreachable)."""

    ready_probe_ms: int = Field(default=1000, ge=1)
    """How long `/readyz` waits for the store and for each partner's health probe."""

    definitions_poll_s: float = Field(default=1.0, ge=0)
    """How often a serving gateway looks for a new partner definition (`gateway partner add`):
    one short query; a change swaps its adapters without a restart (0: never)."""

    sync_interval_s: float = Field(default=0, ge=0)
    """A serving gateway syncs every partner and links what changed this often (0: never;
    `gateway sync` does it once). Replicas share the work through advisory locks."""

    # --- combined views (docs/views.md) -----------------------------------------------------

    timezone: str = "Asia/Shanghai"
    """The district's time zone: what 'today' is for a brief's period."""

    visits_per_household_quarter: float = Field(default=1.0, ge=0)
    """Contact visits (党员联系户) expected per household a member is responsible for, per
    quarter; a brief scales it to its period's length."""

    brief_suppress_below: int = Field(default=5, ge=1)
    """Under an aggregates-only purpose (statistics), brief counts from 1 to this minus one
    are null."""

    brief_stale_after_s: float = Field(default=86400, gt=0)
    """A partner whose last sync is older than this is STALE in a brief's freshness."""

    dashboard_secret: str | None = None
    """What the dashboard's login cookie is encrypted with; set the same value on every replica
    so a viewer stays logged in whichever serves them. Unset: one per process."""

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
