"""JSON columns are read by orjson, and what only the standard library accepts still reads."""

import math

from app.storage.database import json_loads


def test_json_columns_read_like_the_standard_library() -> None:
    assert json_loads('{"tags": ["oak", "shelf"], "n": 3, "x": 1.5, "none": null}') == {
        "tags": ["oak", "shelf"], "n": 3, "x": 1.5, "none": None}
    assert json_loads(b"[1, 2]") == [1, 2]
    assert math.isnan(json_loads('{"score": NaN}')["score"])  # as json.dumps writes it
    assert json_loads('{"big": 123456789012345678901234567890}')["big"] == 123456789012345678901234567890
    assert json_loads('[-9223372036854775809, 0.12345678901234567890]') == [
        -9223372036854775809, 0.12345678901234567890]
