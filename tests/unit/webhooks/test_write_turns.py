"""Acknowledgements write before the inbox processor, which still gets its turn."""

import asyncio

from webhooks.turns import WriteTurns


async def test_a_waiting_acknowledgement_writes_before_the_processor() -> None:
    turns = WriteTurns(single_writer=True, patience=5.0)
    order: list[str] = []
    release = asyncio.Event()

    async def acknowledge(name: str, hold: bool = False) -> None:
        async with turns.urgent():
            order.append(name)
            if hold:
                await release.wait()

    async def process() -> None:
        async with turns.background():
            order.append("processor")

    first = asyncio.create_task(acknowledge("first", hold=True))
    await asyncio.sleep(0)
    processor = asyncio.create_task(process())
    second = asyncio.create_task(acknowledge("second"))
    await asyncio.sleep(0.01)
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


async def test_the_processor_rests_only_while_deliveries_arrive() -> None:
    turns = WriteTurns(share=0.5)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await turns.rest(0.2)
    assert loop.time() - started < 0.1
    async with turns.urgent():
        pass
    started = loop.time()
    await turns.rest(0.05)
    assert loop.time() - started >= 0.04
