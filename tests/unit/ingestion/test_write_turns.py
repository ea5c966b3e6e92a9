"""Acknowledgements write before the inbox processor, which still gets its turn."""

import asyncio
from collections.abc import Callable

import pytest

from app.ingestion.turns import WriteTurns


async def test_a_waiting_acknowledgement_writes_before_the_processor() -> None:
    turns = WriteTurns(single_writer=True, patience=5.0)
    order: list[str] = []
    waiting: list[str] = []
    release = asyncio.Event()

    async def acknowledge(name: str, hold: bool = False) -> None:
        waiting.append(name)  # no await between this and the wait for a turn
        async with turns.urgent():
            order.append(name)
            if hold:
                await release.wait()

    async def process() -> None:
        waiting.append("processor")
        async with turns.background():
            order.append("processor")

    first = asyncio.create_task(acknowledge("first", hold=True))
    await until(lambda: order == ["first"])
    processor = asyncio.create_task(process())
    second = asyncio.create_task(acknowledge("second"))
    await until(lambda: waiting == ["first", "processor", "second"])
    release.set()
    await asyncio.gather(first, processor, second)
    assert order == ["first", "second", "processor"]


async def test_a_steady_stream_of_acknowledgements_cannot_starve_the_processor() -> None:
    turns = WriteTurns(single_writer=True, patience=0.05)
    stop = asyncio.Event()

    async def stream() -> None:
        while not stop.is_set():
            async with turns.urgent():
                await asyncio.sleep(0.001)

    sender = asyncio.create_task(stream())
    async with asyncio.timeout(1.0), turns.background():
        pass
    stop.set()
    await sender


async def test_the_processor_rests_only_while_deliveries_arrive(
        monkeypatch: pytest.MonkeyPatch) -> None:
    turns = WriteTurns(share=0.5)
    rests: list[float] = []
    sleep = asyncio.sleep

    async def rest(seconds: float) -> None:
        rests.append(seconds)
        await sleep(0)

    monkeypatch.setattr(asyncio, "sleep", rest)
    await turns.rest(0.2)
    async with turns.urgent():
        pass
    await turns.rest(0.05)
    monkeypatch.undo()
    # none with nothing arriving; with share 0.5, as long as the work it follows
    assert rests == [0, 0.05]


async def until(condition: Callable[[], bool]) -> None:
    """Let the other tasks run until ``condition`` holds (a failure if it never does)."""
    async with asyncio.timeout(10):
        while not condition():
            await asyncio.sleep(0)
