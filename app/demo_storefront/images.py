"""Placeholder product images: an SVG tile coloured by product type, showing the title."""

import hashlib
import textwrap
from dataclasses import dataclass
from xml.sax.saxutils import escape

SIZE = 400
LINE_WIDTH = 18
MAX_LINES = 5


@dataclass(frozen=True)
class ImageLabel:
    """What a placeholder shows: the product's title, coloured by its type."""

    title: str
    product_type: str | None = None


def hue_for(seed: str) -> int:
    """A stable hue for a product type (or id), so related products share a colour."""
    return int.from_bytes(hashlib.sha256(seed.encode()).digest()[:2], "big") % 360


def title_lines(title: str) -> list[str]:
    lines = textwrap.wrap(title, LINE_WIDTH, break_long_words=True) or [""]
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], lines[MAX_LINES - 1][: LINE_WIDTH - 1] + "…"]
    return lines


def placeholder_svg(product_id: str, label: ImageLabel | None) -> str:
    title = label.title if label else product_id
    hue = hue_for((label.product_type if label and label.product_type else None) or product_id)
    lines = title_lines(title)
    line_height = 34
    top = SIZE / 2 - (len(lines) - 1) * line_height / 2
    text = "".join(
        f'<tspan x="50%" y="{top + index * line_height:.0f}">{escape(line)}</tspan>'
        for index, line in enumerate(lines)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}" '
        f'width="{SIZE}" height="{SIZE}" role="img" aria-label="{escape(title, {chr(34): "&quot;"})}">'
        f'<rect width="100%" height="100%" fill="hsl({hue} 55% 88%)"/>'
        f'<circle cx="330" cy="70" r="120" fill="hsl({hue} 50% 80%)"/>'
        f'<text fill="hsl({hue} 45% 22%)" font-family="system-ui, sans-serif" font-size="28" '
        f'font-weight="600" text-anchor="middle" dominant-baseline="middle">{text}</text>'
        f'<text x="50%" y="{SIZE - 28}" fill="hsl({hue} 35% 35%)" font-family="ui-monospace, monospace" '
        f'font-size="18" text-anchor="middle">{escape(product_id)}</text></svg>'
    )
