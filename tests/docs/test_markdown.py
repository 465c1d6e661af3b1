"""The convention of docs/cookbook/README.md holds: every GraphQL block of the docs is a marked
example (so the tests run it), every marker is well-formed, and each cookbook page has the
examples its readers need."""

from __future__ import annotations

import re

import pytest

from tests.docs import _markdown as md

COOKBOOK = ["docs/cookbook/agency-officer.md", "docs/cookbook/coordination-meeting.md",
            "docs/cookbook/frontend-developer.md"]


def test_every_graphql_block_is_a_marked_example() -> None:
    unmarked = [b.where for p in md.pages() for b in md.blocks(p)
                if b.lang == "graphql" and b.marker is None]
    assert unmarked == []


def test_every_marker_is_known_and_above_a_block() -> None:
    for page in md.pages():
        text = md.prose(page)
        attached = sum(1 for b in md.blocks(page) if b.marker is not None)
        assert len(md.MARKER.findall(text)) == attached, f"{page}: a marker above no block"
        for block in md.blocks(page):
            assert set(block.marker or {}) <= md.KEYS, block.where


@pytest.mark.parametrize("page", COOKBOOK)
def test_each_cookbook_page_has_examples(page: str) -> None:
    examples = [b for b in md.examples("graphql") if b.page == page]
    assert len(examples) >= 5, page
    assert any(b.marker and b.marker.get("expect") for b in examples), (
        f"{page} shows no error a reader will meet")


def test_every_link_between_pages_resolves() -> None:
    for page in md.pages():
        for target in re.findall(r"\]\(([^)#:]+\.md)(?:#[^)]*)?\)", page.read_text("utf-8")):
            assert (page.parent / target).resolve().exists(), f"{page}: broken link {target}"
