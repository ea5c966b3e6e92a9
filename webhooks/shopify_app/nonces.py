"""Single use of an OAuth state: its nonce is claimed under the table's primary key, so
two callbacks racing with one state cannot both pass; claims are dropped once expired."""

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from webhooks.shopify_app.models import UsedInstallState
from webhooks.shopify_app.state import InstallState, InvalidState


class ReplayedState(InvalidState):
    pass


async def claim_state(session: AsyncSession, state: InstallState, now: datetime) -> None:
    """Mark the state used; ``ReplayedState`` when it already was."""
    await session.execute(delete(UsedInstallState).where(UsedInstallState.expires_at <= now))
    try:
        async with session.begin_nested():
            session.add(UsedInstallState(nonce=state.nonce[:64], expires_at=state.expires_at))
    except IntegrityError as error:
        raise ReplayedState("state: already used; start the install again") from error
