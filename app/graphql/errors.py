"""Expected failures keep their message and gain a stable code; the rest are masked."""

from collections.abc import Iterator

from graphql.error import GraphQLError
from strawberry.extensions import SchemaExtension

from app.errors import AppError


def should_mask(error: GraphQLError) -> bool:
    """Mask unexpected exceptions; keep expected ones and the client's own query errors."""
    original = error.original_error
    return original is not None and not isinstance(original, AppError)


class ErrorCodes(SchemaExtension):
    """Adds ``extensions.code`` to every error raised as an ``AppError``."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or []:
            if isinstance(error.original_error, AppError):
                error.extensions = {**(error.extensions or {}), "code": error.original_error.code.value}
