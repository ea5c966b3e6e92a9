"""The small exception hierarchy of the engine; the edges translate it."""

from enum import Enum


class ErrorCode(str, Enum):
    NOT_FOUND = "NOT_FOUND"
    INVALID_INPUT = "INVALID_INPUT"
    UNAUTHORIZED = "UNAUTHORIZED"
    CONFLICT = "CONFLICT"
    UNAVAILABLE = "UNAVAILABLE"


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
