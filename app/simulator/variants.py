"""The variants of a simulation as ``--variants`` names them: ``engine`` (the shipped
engine), ``baseline`` (non-personalized), or a JSON file ``{"name": ..., "config": {...}}``
whose config is the variant's engine configuration. A name given twice (``engine,engine``,
an A/A test) becomes ``engine-a``, ``engine-b``."""

import json
from dataclasses import dataclass
from pathlib import Path

from app.errors import InvalidInput

BUILT_IN = ("engine", "baseline")
MAX_VARIANTS = 4
MAX_CONFIG_BYTES = 64 * 1024
MAX_NAME_CHARS = 64


@dataclass(frozen=True)
class VariantChoice:
    name: str
    config: str
    """``engine``, ``baseline`` or a JSON object, as ``createExperiment`` takes it."""


def _from_file(path: Path) -> VariantChoice:
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise InvalidInput(f"a variant file is larger than {MAX_CONFIG_BYTES} bytes")
        found = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InvalidInput("a variant is neither engine, baseline nor a readable JSON "
                           "file") from exc
    if not (isinstance(found, dict) and isinstance(found.get("name"), str)
            and isinstance(found.get("config"), dict)):
        raise InvalidInput('a variant file must hold {"name": "...", "config": {...}}')
    name = found["name"].strip()
    if not name or len(name) > MAX_NAME_CHARS:
        raise InvalidInput(f"a variant name must have 1 to {MAX_NAME_CHARS} characters")
    return VariantChoice(name, json.dumps(found["config"], sort_keys=True))


def _choice(given: str) -> VariantChoice:
    given = given.strip()
    if given in BUILT_IN:
        return VariantChoice(given, given)
    return _from_file(Path(given))


def parse_variants(text: str) -> list[VariantChoice]:
    """The variants of ``A,B[,...]``, the first one the control."""
    choices = [_choice(part) for part in text.split(",")]
    if not 2 <= len(choices) <= MAX_VARIANTS:
        raise InvalidInput(f"give 2 to {MAX_VARIANTS} variants, the control first")
    names = [c.name for c in choices]
    if len(set(names)) == len(names):
        return choices
    renamed: list[VariantChoice] = []
    for choice in choices:
        if names.count(choice.name) > 1:
            earlier = sum(1 for c in renamed if c.name.startswith(choice.name + "-"))
            choice = VariantChoice(f"{choice.name}-{chr(ord('a') + earlier)}", choice.config)
        renamed.append(choice)
    return renamed
