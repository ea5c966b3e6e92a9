"""The install is on only when the app's key, secret and public URL are all set; its
URLs follow the shop URL setting."""

from typing import Any

import pytest

from app.settings import Settings
from webhooks.shopify_app.config import ShopifyAppConfig
from webhooks.shopify_app.routes import shopify_app_routes

COMPLETE = {"shopify_api_key": "key", "shopify_api_secret": "secret",
            "public_url": "https://affinity.example.com/"}


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.mark.parametrize("missing", sorted(COMPLETE))
def test_the_install_is_off_without_each_setting(missing: str) -> None:
    values = {k: v for k, v in COMPLETE.items() if k != missing}
    assert ShopifyAppConfig.from_settings(settings(**values)) is None
    assert shopify_app_routes(None) == []


def test_the_install_follows_the_settings() -> None:
    config = ShopifyAppConfig.from_settings(settings(**COMPLETE))
    assert config is not None
    assert config.redirect_uri == "https://affinity.example.com/shopify/callback"
    assert config.shop_url("mugs.myshopify.com") == "https://mugs.myshopify.com"
    assert config.api_url("mugs.myshopify.com") is None  # the Admin API at its usual place
    assert "secret" not in repr(config)
    local = ShopifyAppConfig.from_settings(settings(
        **COMPLETE, shopify_shop_url="http://127.0.0.1:9/{shop}"))
    assert local is not None
    assert local.api_url("mugs.myshopify.com") == "http://127.0.0.1:9/mugs.myshopify.com"
    assert local.embedded_url("mugs.myshopify.com") == (
        "http://127.0.0.1:9/mugs.myshopify.com/admin/apps/key")
