"""`gateway` command line: demo, serve, migrate, sync, generate, export-schema, linkage."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated

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
    """Pull every partner's records into the link index and link them to households."""
    from gateway.ops import run_sync

    settings = _settings(data_dir)
    if not settings.partners:
        console.print("[red]no partners configured[/red]: run `gateway demo` or set "
                      "JUHELI_PARTNERS_FILE")
        raise typer.Exit(2)
    report = asyncio.run(run_sync(settings, console))
    for slug, message in report.errors.items():
        console.print(f"[yellow]{slug}[/yellow]: {message}")


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
    from gateway.ops import run_demo

    settings = _settings(data_dir)
    asyncio.run(run_demo(settings, households=households, seed=seed, port=port,
                         serve=serve_api, console=console))


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
