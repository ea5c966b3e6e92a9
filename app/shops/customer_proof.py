"""Who may name a customer: the proof a storefront call carries.

A browser holds only the public storefront key, which anyone can copy, so a customer id it
sends proves nothing: it must come with a customer token signed for the shop, or through
Shopify's app proxy, which vouches for the logged-in customer. A call with the shop's
private server key comes from the shop's own server, which knows its customers."""

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from app.errors import CustomerProofRequired
from app.ids import CustomerId
from app.shops.customer_tokens import verify_customer_token

PROOF_NEEDED = "customerId needs a customerToken signed for this shop"


class CallerKind(Enum):
    STOREFRONT = "storefront"
    """The public storefront key: a browser, anyone."""
    SERVER = "server"
    """The private server key: the shop's own server."""
    APP_PROXY = "app_proxy"
    """A request Shopify forwarded through the app proxy, its signature verified."""


@dataclass(frozen=True)
class CustomerProof:
    kind: CallerKind
    token_secret: str | None = None
    """The shop's customer-token secret (decrypted), ``None`` if it has none."""
    proven_customer: CustomerId | None = None
    """The customer the app proxy vouches for (``None``: a guest, or no app proxy)."""

    def customer(self, customer_id: str | None, customer_token: str | None,
                 now: datetime) -> CustomerId | None:
        """The customer this call may name, or raises ``CustomerProofRequired``.

        A token alone names its customer; a customer id needs a token naming the same
        customer, unless the server key is used or the app proxy vouches for that id."""
        if customer_token:
            named = self._verified(customer_token, now)
            if named is None or (customer_id and customer_id != named):
                raise CustomerProofRequired(PROOF_NEEDED)
            return named
        if not customer_id:
            return self.proven_customer if self.kind is CallerKind.APP_PROXY else None
        if self.kind is CallerKind.SERVER:
            return CustomerId(customer_id)
        if self.kind is CallerKind.APP_PROXY and customer_id == self.proven_customer:
            return self.proven_customer
        raise CustomerProofRequired(PROOF_NEEDED)

    def _verified(self, token: str, now: datetime) -> CustomerId | None:
        if self.token_secret is None:
            return None
        return verify_customer_token(self.token_secret, token, now)


PUBLIC = CustomerProof(CallerKind.STOREFRONT)
"""A storefront call that can prove nothing about customers."""
