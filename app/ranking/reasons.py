"""Reasons a shopper can read, from the sources that proposed an item."""

from app.catalog.snapshot import CatalogProduct
from app.ranking.candidates.pool import Candidate, Source
from app.recommendations.types import Placement, Reason

ORDER = {
    Placement.PRODUCT: (Source.CONTENT, Source.BOUGHT_TOGETHER, Source.BUY_AGAIN,
                        Source.COLLABORATIVE, Source.TRENDING, Source.POPULAR),
    Placement.CART: (Source.BOUGHT_TOGETHER, Source.CONTENT, Source.BUY_AGAIN,
                     Source.COLLABORATIVE, Source.TRENDING, Source.POPULAR),
    Placement.POST_PURCHASE: (Source.BOUGHT_TOGETHER, Source.CONTENT, Source.COLLABORATIVE,
                              Source.TRENDING, Source.POPULAR, Source.BUY_AGAIN),
}
DEFAULT_ORDER = (Source.BUY_AGAIN, Source.BOUGHT_TOGETHER, Source.CONTENT,
                 Source.COLLABORATIVE, Source.TRENDING, Source.POPULAR)
NEW_ARRIVAL = Reason("NEW_ARRIVAL", "New arrival")
MAX_REASONS = 2


def _title(anchor: str | None, titles: dict[str, str]) -> str | None:
    return titles.get(anchor) if anchor else None


def _reason(source: Source, anchor: str | None, product: CatalogProduct, placement: Placement,
            titles: dict[str, str]) -> Reason | None:
    title = _title(anchor, titles)
    if source is Source.BUY_AGAIN:
        return Reason("BUY_AGAIN", "You bought this before")
    if source is Source.CONTENT and title:
        if placement is Placement.PRODUCT:
            return Reason("SIMILAR", f"Similar to {title}")
        return Reason("VIEWED", f"Because you viewed {title}")
    if source is Source.BOUGHT_TOGETHER and title:
        return Reason("BOUGHT_TOGETHER", f"Often bought with {title}")
    if source is Source.COLLABORATIVE:
        return Reason("FOR_YOU", "Popular with shoppers like you")
    if source is Source.TRENDING:
        where = product.product_type
        return Reason("TRENDING", f"Trending in {where}" if where else "Trending now")
    if source is Source.POPULAR:
        return Reason("POPULAR", "Popular in this shop")
    return None


def reasons_for(candidate: Candidate, product: CatalogProduct, placement: Placement,
                titles: dict[str, str]) -> list[Reason]:
    found: list[Reason] = []
    for source in ORDER.get(placement, DEFAULT_ORDER):
        if source in candidate.sources:
            reason = _reason(source, candidate.sources[source], product, placement, titles)
            if reason is not None and reason.code not in {r.code for r in found}:
                found.append(reason)
        if len(found) == MAX_REASONS:
            break
    return found or [Reason("POPULAR", "Popular in this shop")]
