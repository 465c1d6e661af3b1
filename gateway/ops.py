"""What the CLI commands do, as plain async functions the tests and benchmarks call too."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import signal
from collections.abc import Callable
from typing import Any

import asyncpg
import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gateway.adapters.registry import close_adapters
from gateway.app import create_app, resolve_store_uri
from gateway.db.migrate import current_revision, head_revision, upgrade_async
from gateway.linkage.link import link_pending
from gateway.onboard.live import partner_adapters
from gateway.settings import Settings
from gateway.sync import SyncReport, sync_all


def sdl() -> str:
    """The schema as checked in (schema.graphql): sorted by name, so that the file changes when
    the contract does, not when code moves. The served schema keeps its declaration order."""
    from gateway.contract import sorted_sdl
    from gateway.schema import schema

    return sorted_sdl(schema._schema)


async def check_store(settings: Settings) -> str | None:
    """None when the store is migrated to head; otherwise what to do about it."""
    uri = await resolve_store_uri(settings)
    try:
        revision = await current_revision(uri)
    except (OSError, asyncpg.PostgresError) as exc:
        return f"cannot reach the store: {exc}"
    if revision != head_revision():
        return (f"the store is at migration {revision or 'none'} but this gateway needs "
                f"{head_revision()}: run `gateway migrate` first")
    return None


async def run_sync(settings: Settings, console: Console | None = None,
                   partners: dict[str, Any] | None = None, store_uri: str | None = None) -> SyncReport:
    uri = store_uri or await resolve_store_uri(settings)
    pool = await asyncpg.create_pool(uri, min_size=1, max_size=4)
    try:  # the configured code partners and the bodies onboarded by definition file
        adapters = await partner_adapters(pool, partners or settings.partners,
                                          timeout_ms=max(settings.partner_timeout_ms, 30_000))
    except BaseException:
        await pool.close()
        raise
    try:
        if console is None:
            return await sync_all(pool, adapters, thresholds=settings.link_thresholds)
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console, transient=False) as bar:
            tasks: dict[str, Any] = {}

            def progress(slug: str, entity: str, n: int) -> None:
                key = f"{slug}.{entity}"
                if key not in tasks:
                    tasks[key] = bar.add_task(f"sync {key}", total=None)
                bar.advance(tasks[key], n)

            report = await sync_all(pool, adapters, progress, link=False)
        with console.status("linking records to persons and households"):
            report.links = await link_pending(pool, settings.link_thresholds)
        left = {"unlinked", "needs_review"}
        linked = sum(n for method, n in report.links.items() if method not in left)
        console.print(f"linked {linked} new or changed records, "
                      f"{report.links.get('needs_review', 0)} proposed for review, "
                      f"{report.links.get('unlinked', 0)} left unlinked")
        return report
    finally:
        await pool.close()
        await close_adapters(adapters)


async def link_report(settings: Settings) -> dict[str, Any]:
    """Links by status and method, the review queue's size, and the last learned weights."""
    uri = await resolve_store_uri(settings)
    conn = await asyncpg.connect(uri)
    try:
        rows = await conn.fetch("SELECT status, method, count(*) AS n FROM links "
                                "GROUP BY status, method ORDER BY status, n DESC")
        model = await conn.fetchrow("SELECT at, model FROM link_models ORDER BY id DESC LIMIT 1")
        decisions = await conn.fetchval("SELECT count(*) FROM link_decisions")
    finally:
        await conn.close()
    by_status: dict[str, dict[str, int]] = {}
    for r in rows:
        by_status.setdefault(r["status"], {})[r["method"]] = int(r["n"])
    return {
        "links": by_status,
        "humanDecisions": int(decisions or 0),
        "model": None if model is None else {
            "learnedAt": model["at"].isoformat(),
            **(orjson.loads(model["model"]) if isinstance(model["model"], str)
               else model["model"])},
    }


def server_stack() -> tuple[str, str]:
    """uvicorn's HTTP parser and event loop: httptools and uvloop, in C, where installed; else
    h11 and asyncio. Under overload h11's parsing in Python, not the load shedder's few
    microseconds, is what a 503 OVERLOADED costs (docs/resilience.md)."""
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    return http, loop


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    if server_stack()[1] != "uvloop":
        return None
    import uvloop

    return uvloop.new_event_loop


def serve_app(settings: Settings, *, host: str, port: int, ide: bool = True) -> None:
    # The loop is chosen here: uvicorn's own choice applies only to the loop it starts itself.
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(serve_async(settings, host=host, port=port, ide=ide))


async def serve_async(settings: Settings, *, host: str, port: int, ide: bool = True,
                      store_uri: str | None = None, partners: dict[str, Any] | None = None) -> None:
    import uvicorn

    app = create_app(settings, store_uri=store_uri, partners=partners, ide=ide)
    http, loop = server_stack()
    config = uvicorn.Config(app, host=host, port=port, http=http, loop=loop,
                            log_level="warning", access_log=False)
    await uvicorn.Server(config).serve()


async def _first_household(uri: str) -> tuple[str, str, str]:
    """A household worth showing: linked to the most bodies, with a dispute and an appeal."""
    conn = await asyncpg.connect(uri)
    try:
        row = await conn.fetchrow(
            """SELECT h.key, h.community_code,
                      h.address_key AS address,
                      count(DISTINCT s.partner) AS bodies,
                      bool_or(s.entity = 'dispute') AS has_dispute
               FROM households h JOIN links l ON l.household_id = h.id
               JOIN source_records s ON s.id = l.source_record_id
               GROUP BY h.key, h.community_code, h.address_key
               ORDER BY bool_or(s.entity = 'dispute') DESC, count(DISTINCT s.partner) DESC,
                        count(*) DESC, h.key LIMIT 1""")
        assert row is not None, "the district has no linked household"
        compound, building, entrance, room = str(row["address"]).split("|")
        spelled = f"{compound}{building}栋{entrance}-{room}" if entrance else f"{compound}{building}栋{room}"
        return row["key"], row["community_code"], spelled
    finally:
        await conn.close()


async def prepare_demo(settings: Settings, *, households: int, seed: int,
                       console: Console) -> tuple[Any, str]:
    """Generate (once), materialize and start the district, migrate and sync the store."""
    from gateway.db.embedded import start_embedded
    from gateway.demo.district import start_district
    from gateway.demo.generator import generate, write_district
    from gateway.onboard.shipped import demo_vars, register_shipped

    folder = settings.data_dir / f"district-{households}-{seed}"
    if not (folder / "district.json").exists():
        with console.status(f"generating a district of {households} households"):
            await asyncio.to_thread(lambda: write_district(generate(households, seed=seed), folder))
    admin = await asyncio.to_thread(start_embedded, settings.data_dir / "pg")
    marker = folder / ".materialized"
    # rc and party; hall, hotline, mediation and the property SaaS; the mass organisations' and
    # the owners' committees' drops.
    with console.status("starting the partner systems (2 databases, 4 services, 2 drop folders)"):
        district = await start_district(folder, admin, materialize=not marker.exists())
    try:
        marker.touch()
        district.write_partners_toml(settings.data_dir / "partners.toml")
        uri = await resolve_store_uri(settings)
        await upgrade_async(uri)
        # The bodies onboarded by definition file only (gateway/onboard/definitions/): this
        # process serves them, so it holds the `${VAR}`s they name.
        os.environ.update(demo_vars(district))
        await register_shipped(uri)
        await run_sync(settings, console, partners=district.partners_config(), store_uri=uri)
    except BaseException:  # interrupted while syncing: the simulators must not outlive us
        district.stop()
        raise
    return district, uri


def interrupt_on_sigterm() -> None:
    """SIGTERM unwinds the demo as Ctrl-C does (KeyboardInterrupt): through the `finally` that
    stops the simulators and out of `asyncio.run`, so the embedded PostgreSQL's exit hook stops
    it too. By default SIGTERM ends the process at once, and uvicorn, which shuts the app down
    on it first, raises it again under the handler it found: this one. Call from the main
    thread, before `asyncio.run`."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)


async def _seed_agencies(uri: str, settings: Settings) -> list[dict[str, str]]:
    from gateway.auth.admin import seed_demo

    pool = await asyncpg.create_pool(uri, min_size=1, max_size=2)
    try:
        return await seed_demo(pool, settings.data_dir / "demo-keys.json")
    finally:
        await pool.close()


async def run_demo(settings: Settings, *, households: int, seed: int, port: int, serve: bool,
                   console: Console) -> None:
    from gateway import examples

    district, uri = await prepare_demo(settings, households=households, seed=seed, console=console)
    try:
        key, community, address = await _first_household(uri)
        bodies = await _seed_agencies(uri, settings)
        url = f"http://127.0.0.1:{port}/graphql"
        console.rule("[bold green]Juheli demo is ready")
        console.print(f"GraphiQL: [bold]{url}[/bold]   (Ctrl-C stops everything)")
        party = next((b for b in bodies if b["purpose"] == "joint_meeting"), None)
        console.print(f"Dashboard (协调会简报): [bold]http://127.0.0.1:{port}/dashboard[/bold]"
                      + (f" — log in with the {party['agency']} key, purpose joint_meeting"
                         if party else "") + "\n")
        rc = next(b for b in bodies if b["agency"] == f"rc-{community}")
        console.print("Every request is an agency acting for an officer, for a purpose. Paste "
                      "these into GraphiQL's Headers tab (the residents' committee of the "
                      "household below):")
        print(json.dumps({"Authorization": f"Bearer {rc['key']}", "X-Purpose": rc["purpose"],
                          "X-Officer": "demo-officer"}, ensure_ascii=False))
        console.print(f"Keys of every demo body ({len(bodies)}: party committee, service hall, "
                      f"hotline, mediation, mass organisations, statistics): "
                      f"{settings.data_dir / 'demo-keys.json'}\n")
        for title, query, variables in [
            ("One household across every body", examples.HOUSEHOLD_360, {"id": f"Household:{key}"}),
            ("A community's households, page by page", examples.COMMUNITY_PAGE,
             {"community": f"Community:{community}"}),
            ("Find a household by address; partner health", examples.FIND_AND_PARTNERS,
             {"address": address}),
        ]:
            console.print(f"[bold]# {title}[/bold]")
            print(query)
            print(f"# variables: {json.dumps(variables, ensure_ascii=False)}\n")
        if serve:
            # The demo keeps itself in sync with its partner systems, once a minute.
            live = settings.model_copy(update={"sync_interval_s": settings.sync_interval_s or 60})
            await serve_async(live, host="127.0.0.1", port=port, store_uri=uri,
                              partners=district.partners_config())
    finally:
        district.stop()

