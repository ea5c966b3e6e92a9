"""Reading Shopify's answer to one Admin API mutation: its payload, and the ``userErrors``
it lists, put into words for the install page (each error's code and message, bounded).

The messages come from Shopify and name Shopify's fields; nothing the merchant's request
carried is in them. The page escapes them."""

from typing import Any

from webhooks.payload import Fields

MAX_PROBLEMS_CHARS = 300


def mutation_payload(data: dict[str, Any], mutation: str) -> Fields | None:
    """The mutation's payload (``None`` when Shopify answered none)."""
    return Fields(data).opt_object(mutation)


def user_errors(payload: Fields | None) -> list[str]:
    """Each user error as ``CODE: message``; ``["no answer"]`` without a payload."""
    if payload is None:
        return ["no answer"]
    problems = []
    for error in payload.objects("userErrors"):
        message = error.opt_text("message") or "refused"
        code = error.opt_text("code")
        problems.append(f"{code}: {message}" if code else message)
    return problems


def in_words(problems: list[str]) -> str:
    return "; ".join(problems)[:MAX_PROBLEMS_CHARS]

