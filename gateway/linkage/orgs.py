"""Organization names as bodies abbreviate them: `中共翠湖社区委员会第一支部委员会`, `一支部`,
`第1党支部` all name branch 1."""

from __future__ import annotations

import re

import cn2an

_BRANCH = re.compile(r"第?([一二三四五六七八九十百〇零两\d]+)(?:党)?支部")


def branch_ordinal(name: str | None) -> int | None:
    if not name:
        return None
    match = _BRANCH.search(name)
    if not match:
        return None
    token = match.group(1)
    if token.isdigit():
        return int(token)
    try:
        return int(cn2an.cn2an(token, "smart"))
    except (ValueError, KeyError):
        return None
