"""Request bodies read up to a limit: refused by their ``Content-Length`` before a byte is
read, and counted while they stream in, so that an oversized body never sits in memory
(nor reaches a parser) whatever its headers say."""

from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive, Scope


class BodyTooLarge(Exception):
    """The body is longer than the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is larger than {limit} bytes.")
        self.limit = limit


def declared_too_large(scope: Scope, limit: int) -> bool:
    """Whether the ``Content-Length`` header alone says the body is over the limit."""
    declared = Headers(scope=scope).get("content-length")
    return declared is not None and declared.isdigit() and int(declared) > limit


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole body; ``BodyTooLarge`` as soon as it is known to pass ``limit`` bytes."""
    if declared_too_large(scope, limit):
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands out ``body`` once, then listens to the client again (for
    its disconnect): for an application that reads the body itself after it was read."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
