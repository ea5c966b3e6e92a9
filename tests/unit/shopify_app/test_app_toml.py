"""What the server asks of Shopify agrees with the app's Shopify CLI files, so neither can
change alone: the scopes, the pixel's settings, the metafield and the app embed the theme
extension reads."""

import tomllib
from pathlib import Path

from webhooks.shopify_app.config import SCOPES
from webhooks.shopify_app.pages import APP_EMBED
from webhooks.shopify_app.storefront_key import KEY, NAMESPACE
from webhooks.shopify_app.web_pixel import PIXEL_SETTINGS

APP = Path(__file__).resolve().parents[3] / "frontend-snippets" / "shopify-app"
THEME = APP / "extensions" / "affinity-theme"


def toml(path: Path) -> dict[str, object]:
    with path.open("rb") as file:
        return tomllib.load(file)


def test_the_scopes_asked_for_are_the_apps_access_scopes() -> None:
    access = toml(APP / "shopify.app.toml")["access_scopes"]
    assert isinstance(access, dict)
    declared = [scope.strip() for scope in str(access["scopes"]).split(",")]
    assert list(SCOPES) == declared
    assert len(set(SCOPES)) == len(SCOPES)


def test_the_pixel_is_turned_on_with_exactly_the_settings_it_defines() -> None:
    settings = toml(APP / "extensions" / "affinity-pixel" / "shopify.extension.toml")["settings"]
    assert isinstance(settings, dict)
    assert set(PIXEL_SETTINGS) == set(settings["fields"])


def test_the_theme_reads_the_metafield_written_and_the_embed_linked_exists() -> None:
    embed = THEME / "blocks" / f"{APP_EMBED}.liquid"
    assert embed.is_file()
    assert f"app.metafields.{NAMESPACE}.{KEY}" in embed.read_text()
