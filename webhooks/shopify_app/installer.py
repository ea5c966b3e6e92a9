"""The install, step by step, against Shopify: the authorize URL, then on the callback
the checks (Shopify's HMAC, the domain, the state and its single use), the token
exchange, the stored shop, the webhooks, the storefront key in the app's metafield, the
Web Pixel turned on, and the backfill.

Nothing is stored before the checks pass and the token is granted. Every step after that
can be run again with the same result, so a failed one (the webhooks, the metafield, the
pixel) leaves the shop installed with its token, and installing again completes it: the
subscriptions already there are kept, the metafield is overwritten, the pixel updated."""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.crypto.secret_box import SecretBox
from app.errors import Unauthorized
from app.ids import ShopId
from app.ingestion.context import context_of
from app.storage.database import transaction, utcnow
from webhooks.backfill.shopify_admin import ShopifyAdminClient
from webhooks.shopify_app.backfill import Backfills
from webhooks.shopify_app.callback_hmac import is_signed_by_shopify
from webhooks.shopify_app.config import ShopifyAppConfig
from webhooks.shopify_app.domains import shop_domain
from webhooks.shopify_app.installation import store_installation
from webhooks.shopify_app.nonces import claim_state
from webhooks.shopify_app.state import StateSigner, state_key
from webhooks.shopify_app.storefront_key import write_storefront_key
from webhooks.shopify_app.subscriptions import register_webhooks
from webhooks.shopify_app.token_exchange import exchange_code
from webhooks.shopify_app.web_pixel import activate_pixel

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
TIMEOUT = httpx.Timeout(15.0, connect=5.0)
REGISTRATION_TRIES = 2


class NotSignedByShopify(Unauthorized):
    pass


@dataclass(frozen=True)
class Installed:
    shop_id: ShopId
    domain: str
    storefront_key: str
    """Public by design: headless storefronts send it with every request."""
    webhooks_created: int
    pixel_created: bool
    """``False`` when the shop's pixel was there already and was updated."""
    backfill_started: bool


class ShopifyInstaller:
    def __init__(self, config: ShopifyAppConfig, sessions: async_sessionmaker[AsyncSession],
                 box: SecretBox, http: httpx.AsyncClient | None = None,
                 clock: Clock = utcnow) -> None:
        """``http`` (owned by the caller) reaches Shopify; by default one is made here and
        closed by ``aclose``."""
        self.config = config
        self._sessions = sessions
        self._box = box
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=TIMEOUT)
        self._clock = clock
        self._states = StateSigner(state_key(config.api_secret))
        self.backfills = Backfills(sessions, self._http, config.api_version)

    def authorize_url(self, shop: str | None) -> str:
        """Where to send the merchant to approve the install; ``InvalidShopDomain``."""
        domain = shop_domain(shop)
        query = urlencode({"client_id": self.config.api_key,
                           "scope": ",".join(self.config.scopes),
                           "redirect_uri": self.config.redirect_uri,
                           "state": self._states.issue(domain, self._clock())})
        return f"{self.config.shop_url(domain)}/admin/oauth/authorize?{query}"

    async def complete(self, query: Sequence[tuple[str, str]]) -> Installed:
        """The callback: ``NotSignedByShopify``, ``InvalidShopDomain``, ``InvalidState``
        (nothing stored), or ``InstallStepFailed`` naming the step that failed (the
        token exchange, the webhooks, the storefront key, the pixel)."""
        if not is_signed_by_shopify(query, self.config.api_secret):
            raise NotSignedByShopify("the request is not signed by Shopify")
        values = dict(query)
        domain = shop_domain(values.get("shop"))
        now = self._clock()
        state = self._states.verify(values.get("state"), domain, now)
        async with transaction(self._sessions) as session:
            await claim_state(session, state, now)
        granted = await exchange_code(self._http, self.config.shop_url(domain),
                                      self.config.api_key, self.config.api_secret,
                                      values.get("code", ""))
        async with transaction(self._sessions) as session:
            shop = await store_installation(session, domain, granted,
                                            self.config.api_url(domain), self._box, now)
            context = context_of(shop, self._box)
            storefront_key = shop.storefront_key
        log.info("shop %s: installed through the Shopify app (scope %s)", domain, granted.scope)
        api = ShopifyAdminClient(self._http, domain, granted.access_token,
                                 self.config.api_version, self.config.api_url(domain),
                                 max_tries=REGISTRATION_TRIES)
        created = await register_webhooks(api, self.config.public_url)
        await write_storefront_key(api, storefront_key)
        pixel = await activate_pixel(api)
        started = self.backfills.start(context)
        return Installed(context.id, domain, storefront_key, len(created), pixel.created,
                         started)

    async def aclose(self) -> None:
        await self.backfills.aclose()
        if self._owns_http:
            await self._http.aclose()
