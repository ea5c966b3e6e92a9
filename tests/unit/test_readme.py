from pathlib import Path

from app.settings_doc import render

SETTINGS_DOC = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def test_the_settings_table_matches_the_settings_model() -> None:
    text = SETTINGS_DOC.read_text()
    assert render(text) == text, "run `python -m app.settings_doc` to refresh the table"
