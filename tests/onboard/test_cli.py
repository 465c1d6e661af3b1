"""`gateway partner add | list | show | disable` on a real store and a real partner service."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from gateway.cli import app
from tests.conftest import migrated_store, uvicorn_serving
from tests.onboard.test_second_company import DEFINITION, KEY, company

runner = CliRunner()


def test_partner_commands(pg_admin: str, tmp_path: Path) -> None:
    uri = asyncio.run(migrated_store(pg_admin, "onboard_cli"))
    env = {"JUHELI_DATABASE_URL": uri, "JUHELI_DATA_DIR": str(tmp_path / "data"),
           "ESTATE2_KEY": KEY}
    rooms = [{"id": "R1", "xiaoqu": "翠湖花园", "fangjian": "3#2-301", "zhuangtai": "CZ",
              "yezhu": {"xingming": "张三", "dianhua": "13800138000"}, "mianji": 88,
              "qianfei": 0, "gengxin": "2026-11-01"}]
    with uvicorn_serving(company(rooms)) as url:
        good = tmp_path / "estate2.yaml"
        good.write_text(DEFINITION.format(url=url), encoding="utf-8")
        bad = tmp_path / "bad.yaml"
        bad.write_text(DEFINITION.format(url=url).replace("kind: property_company",
                                                          "kind: property_company\n  color: red"),
                       encoding="utf-8")

        refused = runner.invoke(app, ["partner", "add", str(bad)], env=env)
        assert refused.exit_code == 2
        assert "bad.yaml: line 7, body.color: unknown key" in refused.output

        checked = runner.invoke(app, ["partner", "add", "--check", str(good)], env=env)
        assert checked.exit_code == 0, checked.output
        assert "3#2-301" in checked.output and "RENTED" in checked.output
        assert "registered" not in checked.output

        added = runner.invoke(app, ["partner", "add", str(good)], env=env)
        assert added.exit_code == 0, added.output
        assert "registered estate2 version 1" in added.output

    listed = runner.invoke(app, ["partner", "list"], env=env)
    assert listed.exit_code == 0 and "estate2" in listed.output and "yes" in listed.output
    shown = runner.invoke(app, ["partner", "show", "estate2"], env=env)
    assert shown.exit_code == 0 and "X-Api-Key" in shown.output and KEY not in shown.output
    disabled = runner.invoke(app, ["partner", "disable", "estate2"], env=env)
    assert disabled.exit_code == 0 and "disabled estate2 (version 1)" in disabled.output
    listed = runner.invoke(app, ["partner", "list"], env=env)
    assert "no" in listed.output.split("estate2", 1)[1].splitlines()[0]
    missing = runner.invoke(app, ["partner", "disable", "nobody"], env=env)
    assert missing.exit_code == 2
