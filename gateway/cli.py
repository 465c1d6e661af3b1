"""`gateway` command line: demo, serve, migrate, sync, generate, export-schema."""

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
) -> None:
    """Generate the simulated district's partner data and ground truth into a folder."""
    from gateway.demo.generator import generate as gen
    from gateway.demo.generator import write_district

    with console.status(f"generating {households} households"):
        district = gen(households, seed=seed)
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


@app.command("link-report", hidden=True)
def link_report(data_dir: DataDir = None) -> None:
    """Counts of links by method (diagnostics)."""
    from gateway.ops import link_counts

    print(json.dumps(asyncio.run(link_counts(_settings(data_dir))), ensure_ascii=False, indent=1))
