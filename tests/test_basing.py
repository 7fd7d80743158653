"""basing.csv: which pools operate from another ally's territory. Its rows are checked like
every table's (located errors: file, row, column, a fix), and an access policy reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.checks.validate import load_capabilities
from planner.errors import InputError
from tests.policies import tiny


def basing(root: Path, text: str) -> Path:
    data = tiny(root)
    (data / "basing.csv").write_text("country,pool,host,site,source\n" + text,
                                     encoding="utf-8")
    return data


def problems(data: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_capabilities(data)
    return [str(p) for p in caught.value.problems]


def test_a_shipped_style_row_loads(tmp_path: Path) -> None:
    caps = load_capabilities(basing(tmp_path, "AAA,ships,BBB,port,test\n"))
    assert caps.basing[["country", "pool", "host", "site"]].values.tolist() == [
        ["AAA", "ships", "BBB", "port"]]


def test_bad_rows_are_located_with_a_fix(tmp_path: Path) -> None:
    found = problems(basing(tmp_path, "AAA,ships,AAA,port,test\n"
                                      "AAA,boats,BBB,port,test\n"
                                      "AAA,ships,CCC,port,test\n"
                                      "BBB,planes,AAA,,\n"))
    text = "\n".join(found)
    assert "basing.csv" in text
    assert "AAA/ships is based in its own country" in text and "row 2" in text
    assert "AAA has no pool 'boats'" in text
    assert "unknown country 'CCC'" in text
    assert "AAA/ships is based twice (first on row 2)" in text
    assert "the source is blank" in text


def test_an_unknown_column_is_refused(tmp_path: Path) -> None:
    data = tiny(tmp_path)
    (data / "basing.csv").write_text("country,pool,host,site,base,source\nAAA,ships,BBB,x,y,t\n",
                                     encoding="utf-8")
    assert any("unknown column base" in p for p in problems(data))


def test_without_the_file_no_pool_is_based_abroad(tmp_path: Path) -> None:
    data = tiny(tmp_path)
    (data / "basing.csv").unlink()
    assert load_capabilities(data).basing.empty
