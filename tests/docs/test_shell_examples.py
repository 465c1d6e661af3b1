"""Every `gateway …` command line in the docs names a command that exists, with options it
takes and the arguments it needs (click parses it as the shell would hand it over, without
running it), so renaming a command or a flag breaks this test. Blocks marked
`<!-- example {"run": true} -->` are run, line by line, against a store of the test session."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from gateway.cli import app
from tests.docs import _markdown as md
from tests.docs.conftest import fill

SHELL_BLOCKS = [b for p in md.pages() for b in md.blocks(p)
                if b.lang in md.SHELL and md.shell_commands(b)]
LINES = [(b, line) for b in SHELL_BLOCKS for line in md.shell_commands(b)]
RUN = [b for b in SHELL_BLOCKS if (b.marker or {}).get("run")]


def synopsis(line: str) -> list[str]:
    """The words of a documented command line: `[--opt X]` is taken as given, `a|b` as `a`."""
    words = shlex.split(line, comments=True)[1:]
    return [re.sub(r"\|.*", "", w.strip("[]")) for w in words if w.strip("[]")]


def parse(words: list[str]) -> Any:
    """Parse `words` as `gateway` would, down to the leaf command; raise on any mistake.
    (typer ships its own copy of click: its groups are known by `resolve_command`, its errors
    are `typer.TyperException`s.)"""
    command: Any = typer.main.get_command(app)
    ctx: Any = None
    name = "gateway"
    while True:
        ctx = command.make_context(name, list(words), parent=ctx)
        if not hasattr(command, "resolve_command"):
            return command
        rest = [*ctx._protected_args, *ctx.args]
        assert rest, f"`{name}` needs a subcommand"
        name, sub, words = command.resolve_command(ctx, rest)
        assert sub is not None and name is not None
        command = sub


def test_the_docs_show_commands() -> None:
    pages = {b.page for b in SHELL_BLOCKS}
    assert {"docs/grants.md", "docs/deploy.md"} <= pages
    assert len(LINES) >= 20 and RUN


@pytest.mark.parametrize(("block", "line"), LINES, ids=[f"{b.where}:{line}" for b, line in LINES])
def test_every_documented_command_line_parses(block: md.Block, line: str) -> None:
    try:
        command = parse(synopsis(line))
    except typer.Exit:
        raise AssertionError(f"{block.where}: `{line}` only printed help") from None
    except typer.TyperException as exc:
        # A value of the wrong form (`N` for a number, a file that is not here) is a synopsis
        # placeholder: the command and the option were found. Anything else — an unknown
        # command or option, a missing argument (MissingParameter) — fails.
        if type(exc) is not typer.BadParameter:
            raise AssertionError(f"{block.where}: `{line}`: {exc}") from exc
        return
    assert command.callback is not None


def test_a_renamed_flag_would_be_caught() -> None:
    """The check above can fail: a flag the command lacks, or a missing argument, is refused."""
    with pytest.raises(typer.TyperException):
        parse(synopsis("gateway grant set ROLE GROUP PURPOSE full --communities X"))
    with pytest.raises(typer.TyperException):
        parse(synopsis("gateway grant set ROLE GROUP"))
    with pytest.raises(typer.TyperException):
        parse(synopsis("gateway grants list"))


@pytest.mark.parametrize("block", RUN, ids=[b.where for b in RUN])
def test_every_runnable_block_runs(block: md.Block, docs_scratch_store: str, docs_store: str,
                                   places: dict[str, str], tmp_path: Path) -> None:
    marker: dict[str, Any] = block.marker or {}
    assert set(marker) <= md.KEYS
    uri = docs_store if marker.get("store") == "examples" else docs_scratch_store
    runner = CliRunner()
    for line in md.shell_commands(block):
        words = fill(synopsis(line), places)
        result = runner.invoke(app, [*words, "--data-dir", str(tmp_path)],
                               env={"DATABASE_URL": uri, "COLUMNS": "200"})
        assert result.exit_code == marker.get("exit", 0), (
            f"{block.where}: `{line}` exited {result.exit_code}:\n{result.output}")
