"""The stream's two sides, built from the settings by the composition roots."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.event_stream.names import StreamNames
from app.event_stream.publisher import StreamPublisher
from app.event_stream.writer import ReadLimits, StreamWriter
from app.events.sources import SourceKeys
from app.settings import Settings
from app.shared_state.connection import RedisLink, connect

READ_TIMEOUT_MARGIN_SECONDS = 5.0
"""A writer's reads wait up to the block time: its client waits that much longer."""


def stream_publisher(settings: Settings, link: RedisLink | None,
                     sources: SourceKeys | None) -> StreamPublisher | None:
    """The publisher of a serving process, when the stream is on (``link``: the process's
    Redis link, whose breaker it shares)."""
    if not settings.event_stream or link is None:
        return None
    return StreamPublisher(link, settings.event_stream_key, settings.event_stream_max_entries,
                           sources)


def stream_writer(settings: Settings, sessions: async_sessionmaker[AsyncSession],
                  consumer: str | None = None) -> StreamWriter:
    """An event writer with a Redis client of its own (its reads block); the stream must be
    on (the settings then name Redis)."""
    if not settings.event_stream or settings.redis_url is None:
        raise ValueError("the events stream is off")
    limits = ReadLimits(settings.event_stream_read_entries, settings.event_stream_block_seconds,
                        settings.event_stream_claim_idle_seconds)
    client = connect(settings.redis_url,
                     settings.event_stream_block_seconds + READ_TIMEOUT_MARGIN_SECONDS)
    return StreamWriter(client, StreamNames(settings.event_stream_key), sessions, limits,
                        consumer)
