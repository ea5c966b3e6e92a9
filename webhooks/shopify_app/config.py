"""The app's side of the install, from the settings; ``None`` (routes off) unless the
API key, the API secret and the public URL are all set."""

from dataclasses import dataclass, field

from app.settings import Settings

SCOPES = ("read_products", "read_orders", "read_inventory", "write_pixels",
          "read_customer_events", "write_app_proxy")
"""Products and collections, orders and refunds, stock levels and unit costs; turning the
Web Pixel on (``webPixelCreate`` needs ``write_pixels`` and ``read_customer_events``); the
app proxy. The same list as ``access_scopes`` in ``shopify-app/shopify.app.toml``."""


@dataclass(frozen=True)
class ShopifyAppConfig:
    api_key: str
    api_secret: str = field(repr=False)
    public_url: str
    shop_url_template: str = "https://{shop}"
    api_version: str = "2025-07"
    scopes: tuple[str, ...] = SCOPES

    @classmethod
    def from_settings(cls, settings: Settings) -> "ShopifyAppConfig | None":
        secret = settings.shopify_api_secret
        if not settings.shopify_api_key or secret is None or not settings.public_url:
            return None
        return cls(settings.shopify_api_key, secret.get_secret_value(),
                   settings.public_url.rstrip("/"), settings.shopify_shop_url,
                   settings.shopify_api_version)

    def shop_url(self, domain: str) -> str:
        return self.shop_url_template.format(shop=domain).rstrip("/")

    def api_url(self, domain: str) -> str | None:
        """Where the shop's Admin API is, when not at ``https://{domain}``."""
        url = self.shop_url(domain)
        return None if url == f"https://{domain}" else url

    def embedded_url(self, domain: str) -> str:
        """The app inside the shop's admin (Shopify opens it with a session token)."""
        return f"{self.shop_url(domain)}/admin/apps/{self.api_key}"

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_url}/shopify/callback"
