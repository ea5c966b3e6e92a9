from pathlib import Path

from app.settings_doc import render

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_settings_table_matches_the_settings_model() -> None:
    text = README.read_text()
    assert render(text) == text, "run `python -m app.settings_doc` to refresh the table"
