"""Where an experiment's figures come from: per-variant moments over shoppers and serving
latency, read from the attribution rollups. A port, so that results and guardrails can be
computed from any source of the same figures (a fake in tests, the simulator's own)."""

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from app.attribution.moments import VariantMoments
from app.attribution.queries import experiment_moments, variant_latency


class Latency(Protocol):
    @property
    def count(self) -> int: ...

    @property
    def p99_ms(self) -> float | None: ...


class ExperimentFigures(Protocol):
    async def moments(self, session: AsyncSession, shop_id: int,
                      experiment_id: int) -> dict[str, VariantMoments]:
        """Variant name → moments over its shoppers."""
        ...

    async def latency(self, session: AsyncSession, shop_id: int,
                      experiment_id: int) -> dict[str, Latency]:
        """Variant name → its served lists' latency."""
        ...


class AttributionFigures:
    """The figures the attribution rollups hold (``app.attribution.queries``)."""

    async def moments(self, session: AsyncSession, shop_id: int,
                      experiment_id: int) -> dict[str, VariantMoments]:
        return await experiment_moments(session, shop_id, experiment_id)

    async def latency(self, session: AsyncSession, shop_id: int,
                      experiment_id: int) -> dict[str, Latency]:
        return dict(await variant_latency(session, shop_id, experiment_id))


ATTRIBUTION = AttributionFigures()
