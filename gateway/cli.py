"""`gateway` command line: demo, serve, migrate, sync, generate, export-schema, linkage,
agency, key, grant, audit, documents, quarantine, partner."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from gateway.settings import Settings

app = typer.Typer(help="Juheli (聚合力) gateway", no_args_is_help=True, add_completion=False)
console = Console(stderr=True)

DataDir = Annotated[Path | None, typer.Option(help="Data folder (default: per-user data dir)")]


def _settings(data_dir: Path | None) -> Settings:
    settings = Settings()
    if data_dir is not None:
        settings = Settings(data_dir=data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


@app.command()
def migrate(data_dir: DataDir = None) -> None:
    """Create or upgrade the store's tables (Alembic migrations to head)."""
    from gateway.app import resolve_store_uri
    from gateway.db.migrate import upgrade

    settings = _settings(data_dir)
    uri = asyncio.run(resolve_store_uri(settings))
    upgrade(uri)
    console.print("[green]store migrated to head[/green]")


@app.command()
def sync(data_dir: DataDir = None) -> None:
    """Pull every partner's records into the link index and link them to households.

    Exit status:
    0  every partner synced (rows held in quarantine are reported: no error);
    1  a partner reported an error: the others are synced and linked all the same,
       and the next sync resumes the failed ones from their cursors;
    2  no partners configured.
    """
    from rich.markup import escape

    from gateway.ops import run_sync

    settings = _settings(data_dir)
    if not settings.partners:
        console.print("[red]no partners configured[/red]: run `gateway demo` or set "
                      "JUHELI_PARTNERS_FILE")
        raise typer.Exit(2)
    report = asyncio.run(run_sync(settings, console))
    for slug, message in report.errors.items():
        console.print(f"[yellow]{escape(slug)}[/yellow]: {escape(message)}")
    held = sum(report.quarantined.values())
    if held:
        console.print(f"{held} rows quarantined: see `gateway quarantine list`")
    if report.errors:
        console.print(f"[red]sync incomplete[/red]: {len(report.errors)} failed (above); the next "
                      "sync resumes them from their cursors")
        raise typer.Exit(1)


@app.command()
def serve(
    data_dir: DataDir = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    ide: Annotated[bool, typer.Option(help="Serve GraphiQL at /graphql")] = True,
) -> None:
    """Serve the GraphQL API (the store must be migrated: `gateway migrate`)."""
    from gateway.ops import check_store, serve_app

    settings = _settings(data_dir)
    problem = asyncio.run(check_store(settings))
    if problem:
        typer.echo(problem, err=True)
        raise typer.Exit(1)
    serve_app(settings, host=host, port=port, ide=ide)


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Folder to write the district into")],
    households: int = 3000,
    seed: int = 20261129,
    noise: Annotated[
        float, typer.Option(help="Multiply every noise rate (2 = twice as dirty)")
    ] = 1.0,
) -> None:
    """Generate the simulated district's partner data and ground truth into a folder."""
    from gateway.demo.generator import generate as gen
    from gateway.demo.generator import write_district

    with console.status(f"generating {households} households"):
        district = gen(households, seed=seed, noise=noise)
        write_district(district, out)
    console.print(f"[green]district written to {out}[/green]")


@app.command()
def demo(
    data_dir: DataDir = None,
    households: int = typer.Option(3000, help="District size"),
    seed: int = 20261129,
    port: int = 8000,
    serve_api: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve after setup")] = True,
) -> None:
    """Generate the district if absent, start its partner systems, sync, and serve GraphiQL."""
    from gateway.ops import interrupt_on_sigterm, run_demo

    settings = _settings(data_dir)
    interrupt_on_sigterm()
    try:
        asyncio.run(run_demo(settings, households=households, seed=seed, port=port,
                             serve=serve_api, console=console))
    except KeyboardInterrupt:
        console.print("[yellow]stopped; partner systems and PostgreSQL shut down[/yellow]")
        raise typer.Exit(130) from None


@app.command("export-schema")
def export_schema(
    out: Annotated[Path | None, typer.Option(help="Write here instead of stdout")] = None,
) -> None:
    """Print the GraphQL SDL (the checked-in schema.graphql is this output)."""
    from gateway.ops import sdl

    text = sdl()
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"schema written to {out}")


# --- agencies, keys, grants (gateway/auth/admin.py) --------------------------------------------

agency = typer.Typer(help="Agencies: the bodies that query Juheli", no_args_is_help=True)
app.add_typer(agency, name="agency")
key_app = typer.Typer(help="API keys of agencies", no_args_is_help=True)
app.add_typer(key_app, name="key")
grant = typer.Typer(help="Grants: role × field group × purpose → level", no_args_is_help=True)
app.add_typer(grant, name="grant")


def _admin(data_dir: Path | None, work: Any) -> Any:
    """Run `work(pool)` against the store; coded errors become a message and exit 2."""
    import asyncpg

    from gateway.app import resolve_store_uri
    from gateway.errors import GatewayError

    async def run() -> Any:
        pool = await asyncpg.create_pool(await resolve_store_uri(_settings(data_dir)),
                                         min_size=1, max_size=2)
        try:
            return await work(pool)
        finally:
            await pool.close()

    try:
        return asyncio.run(run())
    except GatewayError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


@agency.command("add")
def agency_add(
    slug: Annotated[str, typer.Argument(help="Short id, e.g. rc-110105001001")],
    name: Annotated[str, typer.Option(help="The body's name")],
    role: Annotated[str, typer.Option(help="Role the grants speak of, e.g. mass_org")],
    community: Annotated[list[str], typer.Option(help="Community code it may see; '*' = all")],
    data_dir: DataDir = None,
) -> None:
    """Register an agency (or update it)."""
    from gateway.auth.admin import add_agency

    _admin(data_dir, lambda pool: add_agency(pool, slug, name, role, community))
    console.print(f"agency {slug} ({role}) on {', '.join(community)}")


@agency.command("list")
def agency_list(data_dir: DataDir = None) -> None:
    """Every agency, its role, communities and active keys."""
    from rich.table import Table

    from gateway.auth.admin import list_agencies

    table = Table("agency", "name", "role", "communities", "keys", "revoked")
    for a in _admin(data_dir, list_agencies):
        table.add_row(a.slug, a.name, a.role, ",".join(a.communities), str(a.active_keys),
                      a.revoked_at.isoformat(timespec="seconds") if a.revoked_at else "")
    console.print(table)


@agency.command("revoke")
def agency_revoke(slug: str, data_dir: DataDir = None) -> None:
    """Revoke an agency and every key it holds."""
    from gateway.auth.admin import revoke_agency

    _admin(data_dir, lambda pool: revoke_agency(pool, slug))
    console.print(f"agency {slug} revoked")


@key_app.command("issue")
def key_issue(
    agency_slug: Annotated[str, typer.Argument(metavar="AGENCY")],
    days: Annotated[float, typer.Option(help="Days until it expires")] = 365,
    label: str | None = None,
    data_dir: DataDir = None,
) -> None:
    """Issue a key; it is printed once and stored only as a hash."""
    from gateway.auth import keys

    issued = _admin(data_dir, lambda pool: keys.issue(pool, agency_slug, expires_in_days=days,
                                                      label=label))
    console.print(f"key {issued.id} for {issued.agency}, expires {issued.expires_at:%Y-%m-%d}")
    print(issued.key)


@key_app.command("rotate")
def key_rotate(key_id: str, grace_hours: float = 24, data_dir: DataDir = None) -> None:
    """A new key for the same agency; the old one expires after the grace period."""
    from gateway.auth import keys

    issued = _admin(data_dir, lambda pool: keys.rotate(pool, key_id, grace_hours=grace_hours))
    console.print(f"key {issued.id} replaces {key_id} (which expires in {grace_hours} h)")
    print(issued.key)


@key_app.command("revoke")
def key_revoke(key_id: str, data_dir: DataDir = None) -> None:
    """Revoke one key now."""
    from gateway.auth import keys

    _admin(data_dir, lambda pool: keys.revoke(pool, key_id))
    console.print(f"key {key_id} revoked")


@grant.command("list")
def grant_list(role: str | None = None, data_dir: DataDir = None) -> None:
    """The policy: every grant, or one role's."""
    from rich.table import Table

    from gateway.auth.admin import list_grants

    table = Table("role", "field group", "purpose", "level", "communities")
    for g in _admin(data_dir, lambda pool: list_grants(pool, role)):
        table.add_row(g["role"], g["field_group"], g["purpose"], g["level"],
                      ",".join(g["communities"] or ["(the agency's)"]))
    console.print(table)


@grant.command("set")
def grant_set(
    role: str, group: str, purpose: str,
    level: Annotated[str, typer.Argument(help="none | masked | full")],
    community: Annotated[list[str] | None, typer.Option(
        help="Only these of the agency's communities")] = None,
    data_dir: DataDir = None,
) -> None:
    """Set what a role may see of a field group for a purpose."""
    from gateway.auth.admin import set_grant

    _admin(data_dir, lambda pool: set_grant(pool, role, group, purpose, level, community))
    console.print(f"{role} / {group} / {purpose}: {level}")


@grant.command("remove")
def grant_remove(role: str, group: str, purpose: str, data_dir: DataDir = None) -> None:
    """Remove a grant (what no grant allows is denied)."""
    from gateway.auth.admin import remove_grant

    _admin(data_dir, lambda pool: remove_grant(pool, role, group, purpose))
    console.print(f"{role} / {group} / {purpose}: removed")


linkage = typer.Typer(help="Measure record linkage on interchange CSV files (docs/linkage.md)",
                      no_args_is_help=True)
app.add_typer(linkage, name="linkage")


@linkage.command("evaluate")
def linkage_evaluate(
    records: Annotated[Path, typer.Option(help="Records file (interchange CSV)")],
    truth: Annotated[Path, typer.Option(help="Truth file naming every record")],
    anchor: Annotated[str, typer.Option(help="Source whose households anchor the rest")] = "rc",
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the figures here")]
    = None,
) -> None:
    """Link the records as the gateway does; print pairwise and B-cubed scores against the truth."""
    from gateway.errors import InterchangeInvalid
    from gateway.linkage.evaluate import evaluate, report

    try:
        result = evaluate(records, truth, anchor=anchor, thresholds=Settings().link_thresholds)
    except (InterchangeInvalid, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo("\n".join(report(result)))
    if json_out is not None:
        json_out.write_text(json.dumps(result.as_json(), indent=1), encoding="utf-8")


@linkage.command("export")
def linkage_export(
    out: Annotated[Path, typer.Option(help="Folder to write records.csv and truth.csv into")],
    data_dir: DataDir = None,
    district: Annotated[Path | None, typer.Option(
        help="Generated district folder holding truth.jsonl (default: the data dir's only one)"
    )] = None,
) -> None:
    """Write the synced demo store's records and the district's truth as interchange files."""
    from gateway.app import resolve_store_uri
    from gateway.linkage.export import district_folders, export_store

    settings = _settings(data_dir)
    folders = [district] if district else district_folders(settings.data_dir)
    if len(folders) != 1:
        found = ", ".join(str(f) for f in folders) or "none"
        typer.echo(f"error: name the district with --district (found: {found})", err=True)
        raise typer.Exit(2)
    done = asyncio.run(export_store(asyncio.run(resolve_store_uri(settings)),
                                    folders[0] / "truth.jsonl", out))
    if not done.records:
        typer.echo("error: the store holds no records: run `gateway demo` first", err=True)
        raise typer.Exit(1)
    console.print(f"{done.records} records ({done.with_truth} with a known truth) written to "
                  f"{done.records_path} and {done.truth_path}")


@linkage.command("report")
def linkage_report(
    data_dir: DataDir = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables")] = False,
) -> None:
    """Links by status and method, human decisions, and the match weights last learned."""
    from rich.table import Table

    from gateway.ops import link_report

    report = asyncio.run(link_report(_settings(data_dir)))
    if json_out:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return
    links = Table("status", "method", "records", title="links")
    for status, methods in report["links"].items():
        for method, n in methods.items():
            links.add_row(status, method, f"{n:,}")
    console.print(links)
    console.print(f"human decisions: {report['humanDecisions']:,}")
    model = report["model"]
    if model is None:
        console.print("no learned weights yet (a batch run learns them)")
        return
    weights = Table("comparison", "hand", "m", "u", "weight",
                    title=f"match weights learned {model['learnedAt']} from {model['pairs']:,} "
                    f"pairs, true share {model['share']:.3f}")
    for level in model["levels"]:
        weights.add_row(level["comparison"], f"{level['hand']:+.1f}", f"{level['m']:.4f}",
                        f"{level['u']:.5f}", f"{level['weight']:+.2f}")
    console.print(weights)


audit = typer.Typer(help="The audit log of personal-data reads (docs/audit.md)",
                    no_args_is_help=True)
app.add_typer(audit, name="audit")

ArchiveDir = Annotated[Path | None, typer.Option(
    "--archive", help="Archive segments folder (default: <data dir>/audit-archive)")]


@audit.command("verify")
def audit_verify(data_dir: DataDir = None, archive: ArchiveDir = None) -> None:
    """Check the hash chain (archive segments, then the live table); exit 1 naming the first
    broken row."""
    from gateway.audit.commands import describe, verify_store

    result = asyncio.run(verify_store(_settings(data_dir), archive=archive))
    typer.echo(describe(result))
    if not result.ok:
        raise typer.Exit(1)


@audit.command("export")
def audit_export(
    household: Annotated[str, typer.Option(help="Household:<key> (or the bare key)")],
    data_dir: DataDir = None,
    archive: ArchiveDir = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
) -> None:
    """One household's access history: who read it, when, why, which field groups."""
    from rich.table import Table

    from gateway.audit.commands import export_store

    accesses = asyncio.run(export_store(_settings(data_dir), household, archive=archive))
    if json_out:
        print(json.dumps([a.as_json() for a in accesses], ensure_ascii=False, indent=1))
        return
    table = Table("time (UTC)", "agency", "officer", "purpose", "field groups", "outcome",
                  title=f"{household}: {len(accesses)} audited reads")
    for a in accesses:
        table.add_row(a.as_json()["at"], a.agency, a.officer or "-", a.purpose or "-",
                      ", ".join(a.field_groups), a.outcome)
    console.print(table)


@audit.command("archive")
def audit_archive(
    data_dir: DataDir = None,
    archive: ArchiveDir = None,
    days: Annotated[int | None, typer.Option(
        "--older-than-days", min=0, help="Default: JUHELI_AUDIT_RETENTION_DAYS (183)")] = None,
) -> None:
    """Move rows older than the retention period into a verifiable archive segment."""
    from gateway.audit import ChainBroken
    from gateway.audit.commands import archive_store

    try:
        done = asyncio.run(archive_store(_settings(data_dir), archive_to=archive, days=days))
    except ChainBroken as exc:
        typer.echo(f"nothing archived: the chain is broken at {exc}", err=True)
        raise typer.Exit(1) from exc
    for name in done.orphans:
        console.print(f"set aside {name} (an interrupted archive run's copy of live rows)")
    if done.rows == 0:
        console.print("no rows older than the retention period")
        return
    console.print(f"archived {done.rows:,} rows ({done.first_seq}–{done.last_seq}) to "
                  f"{done.segment}")


# --- trusted documents (gateway/limits/, docs/limits.md) -----------------------------------------

documents = typer.Typer(help="Trusted documents: the operations production clients may run",
                        no_args_is_help=True)
app.add_typer(documents, name="documents")


@documents.command("add")
def documents_add(
    manifest: Annotated[Path, typer.Argument(
        help="graphql-codegen persisted-documents.json (sha256) or an Apollo manifest")],
    data_dir: DataDir = None,
) -> None:
    """Check every document of a manifest against the schema and the limits, then trust them."""
    from gateway.limits import ManifestInvalid
    from gateway.limits.commands import add_manifest

    try:
        total, added = asyncio.run(add_manifest(_settings(data_dir), manifest))
    except (ManifestInvalid, OSError) as exc:
        for problem in getattr(exc, "problems", [str(exc)]):
            typer.echo(f"error: {problem}", err=True)
        typer.echo("nothing was added", err=True)
        raise typer.Exit(2) from exc
    console.print(f"{total} documents checked, {added} new, {total - added} already trusted")


@documents.command("list")
def documents_list(data_dir: DataDir = None) -> None:
    """Every trusted document, a line each: id, bytes, when added, operation names."""
    from gateway.limits.commands import list_documents

    for row in asyncio.run(list_documents(_settings(data_dir))):
        typer.echo(f"sha256:{row['id']}  {row['size']:>6}  "
                   f"{row['added_at'].isoformat(timespec='seconds')}  {row['name'] or ''}")


@documents.command("remove")
def documents_remove(
    document: Annotated[str, typer.Argument(help="sha256:<hex> or <hex>")],
    data_dir: DataDir = None,
) -> None:
    """Stop trusting a document (every process forgets it within a minute)."""
    from gateway.limits.commands import remove_document

    if not asyncio.run(remove_document(_settings(data_dir), document)):
        typer.echo(f"error: no trusted document {document}", err=True)
        raise typer.Exit(1)
    console.print(f"{document} is no longer trusted")


# --- quarantine (gateway/sync/quarantine.py, docs/resilience.md) --------------------------------

quarantine = typer.Typer(help="Partner rows the sync could not store: list, show, fix and replay",
                         no_args_is_help=True)
app.add_typer(quarantine, name="quarantine")

Officer = Annotated[str | None, typer.Option("--by", help="Who decides (default: login name)")]


def _officer(by: str | None) -> str:
    import getpass

    return by or getpass.getuser()


@quarantine.command("list")
def quarantine_list(
    partner: Annotated[str | None, typer.Option(help="Only this partner (slug)")] = None,
    entity: Annotated[str | None, typer.Option(help="Only this entity")] = None,
    status: Annotated[str, typer.Option(
        help="open | replayed | superseded | dismissed | all")] = "open",
    limit: int = 200,
    data_dir: DataDir = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
) -> None:
    """Quarantined rows, newest first, and the open ones per partner."""
    from rich.table import Table

    from gateway.sync import quarantine as q

    if status != "all" and status not in q.STATUSES:
        typer.echo(f"error: --status is one of {', '.join(q.STATUSES)}, all", err=True)
        raise typer.Exit(2)

    async def work(pool: Any) -> Any:
        async with pool.acquire() as conn:
            rows = await q.list_rows(conn, partner=partner, entity=entity, limit=limit,
                                     status=None if status == "all" else status)
            return rows, await q.open_counts(conn)

    rows, counts = _admin(data_dir, work)
    if json_out:
        print(json.dumps({"open": counts, "rows": [
            {"id": r.id, "partner": r.partner, "entity": r.entity, "origin": r.origin,
             "line": r.line, "localId": r.local_id, "reason": r.reason, "status": r.status,
             "createdAt": r.created_at.isoformat()} for r in rows]}, ensure_ascii=False, indent=1))
        return
    table = Table("id", "partner", "entity", "origin", "line", "reason", "status",
                  title=f"{len(rows)} {status} rows")
    for r in rows:
        line = "" if r.line is None else str(r.line)
        reason = r.reason if len(r.reason) <= 70 else r.reason[:69] + "…"
        table.add_row(str(r.id), r.partner, r.entity, r.origin, line, reason, r.status)
    console.print(table)
    console.print("open per partner: " + (", ".join(f"{p} {n}" for p, n in sorted(counts.items()))
                                          or "none"))


@quarantine.command("show")
def quarantine_show(row_id: Annotated[int, typer.Argument(metavar="ID")],
                    data_dir: DataDir = None) -> None:
    """One row: where it came from, why, its content as read, and how it was resolved."""
    from gateway.sync import quarantine as q

    async def work(pool: Any) -> Any:
        async with pool.acquire() as conn:
            return await q.get_row(conn, row_id)

    row = _admin(data_dir, work)
    place = row.origin if row.line is None else f"{row.origin} line {row.line}"
    typer.echo(f"#{row.id} {row.partner}.{row.entity} {place} [{row.status}]")
    typer.echo(f"reason:  {row.reason}")
    typer.echo(f"record:  {row.local_id or '(no key)'}")
    typer.echo(f"read at: {row.created_at.isoformat(timespec='seconds')}")
    if row.resolved_at is not None:
        typer.echo(f"{row.status} {row.resolved_at.isoformat(timespec='seconds')} by "
                   f"{row.resolved_by or 'the sync'}: {row.note or ''}")
    content = row.content()
    typer.echo("content:")
    typer.echo(json.dumps(content, ensure_ascii=False, indent=1) if not isinstance(content, str)
               else content)
    if row.fixed:
        typer.echo(f"replayed as: {row.fixed}")


@quarantine.command("replay")
def quarantine_replay(
    row_id: Annotated[int, typer.Argument(metavar="ID")],
    fixed: Annotated[Path | None, typer.Option(
        help="The corrected row: a JSON file of the partner's fields ('-': stdin)")] = None,
    accept_transition: Annotated[bool, typer.Option(
        help="Store it although its status breaks the status machine")] = False,
    note: str | None = None,
    by: Officer = None,
    link: Annotated[bool, typer.Option(help="Link the record after storing it")] = True,
    data_dir: DataDir = None,
) -> None:
    """Store a quarantined row after all — as read, or corrected with --fixed — through the
    partner's own mapping and the status machine; then link it."""
    from gateway.adapters.registry import close_adapters
    from gateway.linkage.link import link_pending
    from gateway.onboard.live import partner_adapters
    from gateway.sync import quarantine as q

    settings = _settings(data_dir)
    content = None
    if fixed is not None:
        text = sys.stdin.read() if str(fixed) == "-" else fixed.read_text(encoding="utf-8")
        try:
            content = json.loads(text)
        except json.JSONDecodeError as exc:
            typer.echo(f"error: --fixed is not JSON: {exc}", err=True)
            raise typer.Exit(2) from exc
        if not isinstance(content, dict):
            typer.echo("error: --fixed must hold a JSON object", err=True)
            raise typer.Exit(2)

    async def work(pool: Any) -> Any:
        adapters = await partner_adapters(pool, settings.partners)
        try:
            async with pool.acquire() as conn:
                record = await q.replay(conn, adapters, row_id, by=_officer(by), fixed=content,
                                        accept_transition=accept_transition, note=note)
        finally:
            await close_adapters(adapters)
        return record, (await link_pending(pool, settings.link_thresholds) if link else {})

    record, links = _admin(data_dir, work)
    console.print(f"row {row_id} replayed: {record.partner}.{record.entity} {record.local_id} "
                  f"stored" + (f", linked ({', '.join(links)})" if links else ""))


@quarantine.command("dismiss")
def quarantine_dismiss(
    row_id: Annotated[int, typer.Argument(metavar="ID")],
    note: Annotated[str, typer.Option(help="Why the row holds nothing to keep")],
    by: Officer = None,
    data_dir: DataDir = None,
) -> None:
    """Close a row that holds nothing to keep (a test row, a copy); the note is kept with it."""
    from gateway.sync import quarantine as q

    async def work(pool: Any) -> None:
        async with pool.acquire() as conn:
            await q.dismiss(conn, row_id, by=_officer(by), note=note)

    _admin(data_dir, work)
    console.print(f"row {row_id} dismissed")


# --- combined views (gateway/views/) ------------------------------------------------------------

views = typer.Typer(help="Combined views: the facts the coordination brief counts",
                    no_args_is_help=True)
app.add_typer(views, name="views")


@views.command("rebuild")
def views_rebuild(data_dir: DataDir = None) -> None:
    """Project every stored record into the facts again, from its snapshot (after an upgrade
    changed the projection, or on a store synced before the views existed)."""
    from gateway.adapters.registry import close_adapters
    from gateway.onboard.live import partner_adapters
    from gateway.views.snapshots import rebuild_facts

    settings = _settings(data_dir)

    async def work(pool: Any) -> dict[str, int]:
        adapters = await partner_adapters(pool, settings.partners)
        try:
            return await rebuild_facts(pool, adapters)
        finally:
            await close_adapters(adapters)

    counts = _admin(data_dir, work)
    unreadable = counts.pop("unreadable", 0)
    for entity, n in sorted(counts.items()):
        console.print(f"  {entity}: {n:,} facts")
    if unreadable:
        console.print(f"[yellow]{unreadable:,} snapshots the adapters could no longer read were "
                      "left as they were[/yellow]")


partner = typer.Typer(help="Bodies onboarded from a definition file (docs/onboarding.md)",
                      no_args_is_help=True)
app.add_typer(partner, name="partner")
DefinitionFile = Annotated[Path, typer.Argument(metavar="FILE", exists=True, dir_okay=False)]


@partner.command("add")
def partner_add(
    file: DefinitionFile,
    check: Annotated[bool, typer.Option(help="Validate and dry-run only; register nothing")] = False,
    sample: Annotated[int, typer.Option(help="Records shown per entity")] = 5,
    data_dir: DataDir = None,
) -> None:
    """Validate FILE, dry-run it against the live source, and register it: every running
    gateway serves the body within a second or two, without a restart."""
    from gateway.onboard import commands

    settings = _settings(data_dir)

    async def work(pool: Any) -> Any:
        return await commands.add(pool, file, partners=settings.partners, check_only=check,
                                  sample=sample)

    definition, seen, version = _admin(data_dir, work)
    commands.show_dry_run(console, definition, seen)
    if version is not None:
        console.print(f"[green]registered[/green] {definition.body.slug} version {version}")


@partner.command("list")
def partner_list(data_dir: DataDir = None) -> None:
    """Each registered body's definition in force (or disabled)."""
    from gateway.onboard import commands

    commands.show_listing(console, _admin(data_dir, commands.listing))


@partner.command("show")
def partner_show(slug: str, version: Annotated[int | None, typer.Option()] = None,
                 data_dir: DataDir = None) -> None:
    """Print a registered definition's file (the newest version, or --version)."""
    from gateway.onboard import store

    async def work(pool: Any) -> Any:
        async with pool.acquire() as conn:
            return await store.one(conn, slug, version)

    found = _admin(data_dir, work)
    if found is None:
        typer.echo(f"error: no definition {slug!r}" + (f" v{version}" if version else ""),
                   err=True)
        raise typer.Exit(2)
    console.print(f"# {found.slug} v{found.version}, {'enabled' if found.enabled else 'disabled'}"
                  f", added {found.added_at.isoformat(timespec='seconds')}")
    sys.stdout.write(found.source)


@partner.command("disable")
def partner_disable(slug: str, data_dir: DataDir = None) -> None:
    """Stop serving and syncing a body (its records stay in the store); `add` enables again."""
    from gateway.onboard import store

    async def work(pool: Any) -> Any:
        async with pool.acquire() as conn:
            return await store.disable(conn, slug)

    version = _admin(data_dir, work)
    if version is None:
        typer.echo(f"error: no definition {slug!r}", err=True)
        raise typer.Exit(2)
    console.print(f"disabled {slug} (version {version})")


@partner.command("schema")
def partner_schema(out: Annotated[Path | None, typer.Option(help="Write it here")] = None) -> None:
    """The definition format's JSON Schema (checked in as docs/partner-definition.schema.json)."""
    from gateway.onboard.commands import json_schema

    text = json_schema()
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")


def _slug(value: str) -> str:
    import re

    from gateway.onboard.model import SLUG

    if not re.fullmatch(SLUG, value):
        raise typer.BadParameter(f"{value!r}: a slug is {SLUG[1:-1]}")
    return value


@partner.command("draft")
def partner_draft(
    openapi: Annotated[str, typer.Option(
        metavar="URL|FILE", help="The partner's OpenAPI 3.0/3.1 description (JSON or YAML)")],
    slug: Annotated[str, typer.Option(callback=_slug, help="The body's slug in Juheli")],
    out: Annotated[Path | None, typer.Option(help="Write the draft here (default: stdout)")] = None,
) -> None:
    """Draft a definition file from a partner's OpenAPI description: source, auth, paging,
    envelope, and per resource its entity, key and every property, each guess marked TODO.
    Then finish it and run `gateway partner add --check` (docs/onboarding.md)."""
    from gateway.errors import GatewayError
    from gateway.onboard.openapi import draft

    try:
        made = draft(openapi, slug=slug)
    except GatewayError as exc:
        typer.echo(f"error [{exc.code}]: {exc}", err=True)
        raise typer.Exit(2) from exc
    if out is None:
        sys.stdout.write(made.text)
    else:
        out.write_text(made.text, encoding="utf-8")
    entities = ", ".join(f"{r.entity or '?'} ← {r.name}" for r in made.api.resources)
    typer.echo(f"draft of {slug}: {entities or 'no resource recognised'}; {made.mapped} "
               f"properties mapped, {made.unmapped} left as `# ?:` lines", err=True)
    if made.todos:
        typer.echo(f"{len(made.todos)} decisions left (the loader refuses the draft until they "
                   "are made):", err=True)
        for todo in made.todos:
            typer.echo(f"  {todo}", err=True)
