"""``affinity events write``: an event writer, storing the events servers append to the
events stream (``AFFINITY_EVENT_STREAM``). Any number may run; ``--once`` stores what is
waiting and stops."""

import argparse
import asyncio
import signal
from dataclasses import asdict

from app.commands.common import Commands, Database, emit
from app.errors import InvalidInput
from app.event_stream.wiring import stream_writer
from app.settings import Settings


def register(commands: Commands) -> None:
    events = commands.add_parser("events", help="storefront events").add_subparsers(
        dest="action", required=True)
    write = events.add_parser("write", help="store the events of the events stream")
    write.add_argument("--once", action="store_true",
                       help="store what is waiting (and what a dead writer left), then stop")
    write.add_argument("--consumer", help="this writer's name in the group (default: "
                                          "host, process id and a random tail)")
    write.set_defaults(handler=cmd_events_write)


async def cmd_events_write(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.event_stream:
        raise InvalidInput("the events stream is off: set AFFINITY_EVENT_STREAM=true")
    consumer = args.consumer[:200] if args.consumer else None
    async with Database(settings) as db:
        writer = stream_writer(settings, db.sessions, consumer)
        try:
            await writer.ensure_group()
            if args.once:
                await writer.drain()
            else:
                stop = asyncio.Event()
                loop = asyncio.get_running_loop()
                for signum in (signal.SIGTERM, signal.SIGINT):
                    loop.add_signal_handler(signum, stop.set)
                await writer.run_forever(stop)
            emit({"consumer": writer.consumer, **asdict(writer.counts)})
        finally:
            await writer.close()
    return 0
