"""What the simulator's modules share: how to reach a shop, and progress reports."""

from collections.abc import Callable
from dataclasses import dataclass

from app.errors import Unavailable

Progress = Callable[[str, int, int], None]


def no_progress(_: str, __: int, ___: int) -> None:
    return None


@dataclass(frozen=True)
class ShopAccess:
    """A shop on a server and the credentials a simulation needs: the storefront key and
    the private server key (which may name customers), the admin token, and the secret
    its order webhooks are signed with."""

    domain: str
    storefront_key: str
    server_key: str
    admin_token: str
    webhook_secret: str


class SimulationFailed(Unavailable):
    """The server answered in a way no storefront or shop platform could go on from, or
    could not be reached or started."""
