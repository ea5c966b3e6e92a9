"""The install's last steps against the stand-in of Shopify, through the install routes:
the shop's storefront key in the app's metafield (where the theme's app embed reads it),
the Web Pixel turned on once and updated on a re-install, each failure named on the
install page and completed by installing again, and the success page's next steps."""

from collections.abc import AsyncIterator
from dataclasses import replace
from html import escape
from pathlib import Path

import pytest

from tests.integration.shopify_app.support import API_KEY, Install, install_app, new_domain
from webhooks.shopify_app.config import SCOPES


@pytest.fixture
async def app(database_url: str, tmp_path: Path) -> AsyncIterator[Install]:
    async with install_app(database_url, tmp_path) as install:
        yield install


async def storefront_key_of(app: Install, domain: str) -> str:
    shop = await app.shop(domain)
    assert shop is not None
    return shop.storefront_key


async def test_the_install_writes_the_shops_storefront_key_and_turns_the_pixel_on(
        app: Install) -> None:
    shop = new_domain()
    response = await app.install(shop)
    assert response.status_code == 200, response.text
    key = await storefront_key_of(app, shop)
    installation = app.standin.installation
    assert installation.metafields == {
        ("affinity", "storefront_key"): {"type": "single_line_text_field", "value": key}}
    assert installation.pixel is not None
    assert installation.pixel["settings"] == {"collectUrl": ""}
    assert (installation.pixel_creates, installation.pixel_updates) == (1, 0)
    assert "Web Pixel is on" in response.text
    # The page gives headless storefronts the key, and says what to do in the theme.
    assert f"<code>{key}</code>" in response.text
    editor = (f"{app.installer.config.shop_url(shop)}/admin/themes/current/editor?"
              f"context=apps&amp;activateAppId={API_KEY}%2Fapp-embed")
    assert f'href="{editor}"' in response.text
    assert "app embed" in response.text and "Recommendations" in response.text


async def test_installing_again_updates_the_pixel_and_keeps_the_key(app: Install) -> None:
    shop = new_domain()
    assert (await app.install(shop)).status_code == 200
    installation = app.standin.installation
    first_pixel = installation.pixel
    assert first_pixel is not None
    installation.pixel = {**first_pixel, "settings": {"collectUrl": "https://old.example"}}
    again = await app.install(shop)
    assert again.status_code == 200, again.text
    assert "settings renewed" in again.text
    assert (installation.pixel_creates, installation.pixel_updates) == (1, 1)
    assert installation.pixel["id"] == first_pixel["id"]
    assert installation.pixel["settings"] == {"collectUrl": ""}
    assert installation.metafield_writes == 2
    assert installation.metafield("affinity", "storefront_key") == \
        await storefront_key_of(app, shop)


async def test_a_refused_metafield_says_so_and_installing_again_completes_it(
        app: Install) -> None:
    shop = new_domain()
    app.standin.installation.refuse_metafields = "Metafield limit reached"
    response = await app.install(shop)
    assert response.status_code == 502
    assert "storefront key failed" in response.text
    assert "Metafield limit reached" in response.text
    assert f'href="/shopify/install?shop={shop}"' in response.text
    assert app.standin.installation.metafields == {}
    assert app.standin.installation.pixel is None  # the steps after it did not run
    assert await app.shop(shop) is not None  # installed, with its token

    app.standin.installation.refuse_metafields = None
    assert (await app.install(shop)).status_code == 200
    assert app.standin.installation.metafield("affinity", "storefront_key") == \
        await storefront_key_of(app, shop)
    assert app.standin.installation.pixel_creates == 1


async def test_a_refused_pixel_says_so_and_installing_again_completes_it(app: Install) -> None:
    shop = new_domain()
    app.standin.installation.refuse_pixel = "An unexpected error occurred"
    response = await app.install(shop)
    assert response.status_code == 502
    assert "Web Pixel activation failed" in response.text
    assert "UNEXPECTED_ERROR: An unexpected error occurred" in response.text
    assert app.standin.installation.pixel is None
    assert app.standin.installation.metafields  # the step before it is done

    app.standin.installation.refuse_pixel = None
    again = await app.install(shop)
    assert again.status_code == 200, again.text
    assert app.standin.installation.pixel_creates == 1
    assert app.standin.installation.pixel is not None


async def test_without_the_pixel_scopes_the_pixel_step_fails(app: Install) -> None:
    app.installer.config = replace(app.installer.config, scopes=SCOPES[:3])
    shop = new_domain()
    response = await app.install(shop)
    assert response.status_code == 502
    assert "Web Pixel activation failed" in response.text
    assert escape("write_pixels") in response.text
    assert app.standin.installation.pixel is None
