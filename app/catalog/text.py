"""The text a product is embedded from, and its hash.

Title, product type and body only: on the demo catalog adding the vendor or the tags to the
text lowered the share of same-type neighbours (0.87 → 0.74 and 0.79 precision@6 in one
measurement), because shared brand or colour words outweighed what the product is. Vendor
and tags are used as structured signals instead."""

import hashlib
import html
import re

MAX_BODY_CHARS = 600
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def strip_html(value: str) -> str:
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", value))).strip()


def product_text(title: str, product_type: str | None, body_text: str) -> str:
    """Title first (it carries most of the meaning), then the type, then the body."""
    parts = [title.strip()]
    if product_type:
        parts.append(product_type.strip())
    body = strip_html(body_text)[:MAX_BODY_CHARS]
    if body:
        parts.append(body)
    return ". ".join(p for p in parts if p)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
