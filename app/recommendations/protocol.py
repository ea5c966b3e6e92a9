"""Where a served list is recorded: the engines that serve a list (carousels, reordered
searches) record it themselves, under its id, before the list is returned; events that
later echo the id are attributed to it (``app.events.rankings`` is the database's)."""

from typing import Protocol

from app.ids import ShopId
from app.recommendations.types import RecommendationList


class ServedLists(Protocol):
    async def record(self, shop_id: ShopId, placement: str, visitor_id: str | None,
                     customer_id: str | None, result: RecommendationList) -> None:
        """Keep ``result`` under its id; ``Unavailable`` when it cannot be kept (the list is
        then not shown), ``InvalidInput`` for ids its columns cannot hold."""
        ...
