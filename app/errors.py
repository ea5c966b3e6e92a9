"""The small exception hierarchy of the engine; the edges translate it."""

from enum import Enum


class ErrorCode(str, Enum):
    NOT_FOUND = "NOT_FOUND"
    INVALID_INPUT = "INVALID_INPUT"
    UNAUTHORIZED = "UNAUTHORIZED"
    CONFLICT = "CONFLICT"
    UNAVAILABLE = "UNAVAILABLE"
    CUSTOMER_PROOF_REQUIRED = "CUSTOMER_PROOF_REQUIRED"
    RATE_LIMITED = "RATE_LIMITED"


class AppError(Exception):
    """Base of every expected failure; carries a stable code."""

    code: ErrorCode = ErrorCode.INVALID_INPUT

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(AppError):
    code = ErrorCode.NOT_FOUND


class InvalidInput(AppError):
    code = ErrorCode.INVALID_INPUT


class Unauthorized(AppError):
    code = ErrorCode.UNAUTHORIZED


class Conflict(AppError):
    code = ErrorCode.CONFLICT


class Unavailable(AppError):
    code = ErrorCode.UNAVAILABLE


class CustomerProofRequired(AppError):
    """A customer named without proof that the caller may name them."""

    code = ErrorCode.CUSTOMER_PROOF_REQUIRED


class RateLimited(AppError):
    """Over a rate limit; the caller may try again in ``retry_after`` seconds."""

    code = ErrorCode.RATE_LIMITED

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many requests: try again in {retry_after} s.")
        self.retry_after = retry_after
