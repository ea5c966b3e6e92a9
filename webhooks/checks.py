"""The engine's own checks on normalized changes, run on the request path.

A change the engine would refuse at apply time is refused before the delivery is
acknowledged (400, kept as a rejection), instead of being acknowledged, retried and
parked."""

from app.catalog.service import check_collection, check_product_change
from app.errors import InvalidInput
from app.ingestion.changes import Change, RecordOrder, UpsertCollection, UpsertProduct
from app.ingestion.protocol import InvalidPayload
from app.orders.service import check_order_change


def check_changes(changes: list[Change]) -> list[Change]:
    """``changes`` unchanged, or ``InvalidPayload`` naming what the engine refuses."""
    try:
        for change in changes:
            match change:
                case UpsertProduct(product):
                    check_product_change(product)
                case UpsertCollection(platform_id, _, handle, _):
                    check_collection(platform_id, handle)
                case RecordOrder(order):
                    check_order_change(order)
    except InvalidInput as exc:
        raise InvalidPayload(exc.message) from exc
    return changes
