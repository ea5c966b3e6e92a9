"""Expected failures keep their message and gain a stable code; the rest are masked.

No answer or log line repeats what the client sent: a refused variable's value is left out
of graphql-core's message, other messages are cut to ``MAX_MESSAGE`` characters,
expected errors are logged at INFO with their code and path only, and unexpected ones at
ERROR with their traceback but without the query or its variables."""

import logging
import re
from collections.abc import Iterator

from graphql.error import GraphQLError
from strawberry.extensions import SchemaExtension

from app.errors import AppError

log = logging.getLogger(__name__)
MAX_MESSAGE = 300


def should_mask(error: GraphQLError) -> bool:
    """Mask unexpected exceptions; keep expected ones and the client's own query errors,
    including refused variable values (graphql-core points them at the variable's
    definition, outside any field's path)."""
    original = error.original_error
    refused_variable = not error.path and bool(error.nodes)
    return original is not None and not isinstance(original, AppError) and not refused_variable


# graphql-core quotes the refused value after the colon: "Variable '$id' has invalid
# value at [0].type: Value 'x...' does not exist ..."; the answer keeps what comes before.
REFUSED_VARIABLE = re.compile(r"^(Variable '\$\w+' has invalid value(?: at [^:]{0,200})?):")


def _shortened(message: str) -> str:
    refused = REFUSED_VARIABLE.match(message)
    if refused is not None:
        return refused.group(1) + "."
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE - 1] + "…"


def log_error(error: GraphQLError) -> None:
    """One line per error; never the query, the variables or the message (which may quote
    them)."""
    original = error.original_error
    if not error.path:  # not a resolver's: the document or the variables are refused
        log.info("GraphQL request refused: invalid document or variables")
        return
    path = ".".join(map(str, error.path))
    if original is None or isinstance(original, AppError):
        code = original.code.value if isinstance(original, AppError) else "INVALID"
        log.info("GraphQL error %s at %s", code, path)
    else:
        log.error("GraphQL unexpected error at %s", path, exc_info=original)


class ErrorCodes(SchemaExtension):
    """Adds ``extensions.code`` to every error raised as an ``AppError``; cuts long messages."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or []:
            error.message = _shortened(error.message)
            if isinstance(error.original_error, AppError):
                error.extensions = {**(error.extensions or {}), "code": error.original_error.code.value}
