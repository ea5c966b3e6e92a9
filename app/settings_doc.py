"""Render the settings table of docs/settings.md from the Settings model
(``python -m app.settings_doc``)."""

import re
import sys
from pathlib import Path

from pydantic_settings import BaseSettings

from app.ranking.settings import EngineSettings
from app.settings import Settings

START, END = "<!-- settings-table -->", "<!-- /settings-table -->"


def _rows(model: type[BaseSettings]) -> list[str]:
    prefix = str(model.model_config.get("env_prefix", ""))
    rows = []
    for name, field in model.model_fields.items():
        default = field.default
        shown = default.as_posix() if isinstance(default, Path) else default
        rows.append(f"| `{prefix}{name.upper()}` | `{shown}` | {field.description} |")
    return rows


def settings_table() -> str:
    header = ["| variable | default | meaning |", "|---|---|---|"]
    return "\n".join(header + _rows(Settings) + _rows(EngineSettings))


def render(readme: str) -> str:
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    return pattern.sub(lambda _: f"{START}\n{settings_table()}\n{END}", readme)


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/settings.md")
    path.write_text(render(path.read_text()))
