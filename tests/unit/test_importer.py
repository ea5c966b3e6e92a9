import gzip
import json
from pathlib import Path

import pytest

from app.catalog.importer import read_catalog_file
from app.errors import InvalidInput


def test_csv_rows_become_changes(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    path.write_text(
        "id,title,price,tags,available,product_type,updated_at\n"
        "1,Blue mug,9.5,\"kitchen, blue\",true,Mugs,2024-01-02T03:04:05Z\n"
        "2,Red cup,4,,false,,\n"
    )
    changes = read_catalog_file(path)
    assert [c.platform_id for c in changes] == ["1", "2"]
    assert changes[0].tags == ("kitchen", "blue")
    assert changes[0].price_min == 9.5 and changes[0].available is True
    assert changes[0].updated_at is not None and changes[0].updated_at.year == 2024
    assert changes[1].available is False and changes[1].product_type is None


def test_json_lines_and_gzip_are_read(tmp_path: Path) -> None:
    path = tmp_path / "catalog.jsonl.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(json.dumps({"id": "a", "title": "Lamp", "tags": ["light"]}) + "\n\n")
    [change] = read_catalog_file(path)
    assert change.title == "Lamp" and change.tags == ("light",)


def test_a_bad_file_is_rejected_whole_with_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "catalog.jsonl"
    path.write_text(
        json.dumps({"id": "1", "title": "ok"}) + "\n"
        + json.dumps({"id": "2"}) + "\n"
        + "{not json\n"
        + json.dumps({"id": "3", "title": "x", "price": "cheap"}) + "\n"
    )
    with pytest.raises(InvalidInput) as error:
        read_catalog_file(path)
    message = error.value.message
    assert "3 invalid rows, nothing imported" in message
    assert "line 2: title: missing" in message and "line 3: invalid JSON" in message
    assert "line 4" in message


def test_unknown_extension_and_missing_file_are_clear(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        read_catalog_file(tmp_path / "nope.csv")
    other = tmp_path / "catalog.xml"
    other.write_text("<x/>")
    with pytest.raises(InvalidInput, match="expected a .csv or .jsonl"):
        read_catalog_file(other)
