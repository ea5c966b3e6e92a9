"""Render the README's settings table from the Settings model (``python -m app.settings_doc``)."""

import re
import sys
from pathlib import Path

from app.settings import Settings

START, END = "<!-- settings-table -->", "<!-- /settings-table -->"


def settings_table() -> str:
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = default.as_posix() if isinstance(default, Path) else default
        rows.append(f"| `AFFINITY_{name.upper()}` | `{shown}` | {field.description} |")
    return "\n".join(rows)


def render(readme: str) -> str:
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    return pattern.sub(lambda _: f"{START}\n{settings_table()}\n{END}", readme)


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    path.write_text(render(path.read_text()))
