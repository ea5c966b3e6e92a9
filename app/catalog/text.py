"""The text a product is embedded from, and its hash."""

import hashlib
import html
import re

MAX_BODY_CHARS = 600
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def strip_html(value: str) -> str:
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", value))).strip()


def product_text(
    title: str,
    product_type: str | None,
    vendor: str | None,
    tags: list[str] | tuple[str, ...],
    body_text: str,
) -> str:
    """Title first (it carries most of the meaning), then type, vendor, tags, body."""
    parts = [title.strip()]
    if product_type:
        parts.append(product_type.strip())
    if vendor:
        parts.append(vendor.strip())
    if tags:
        parts.append(", ".join(tags))
    body = strip_html(body_text)[:MAX_BODY_CHARS]
    if body:
        parts.append(body)
    return ". ".join(p for p in parts if p)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
