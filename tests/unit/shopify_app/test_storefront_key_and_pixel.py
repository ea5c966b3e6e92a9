"""The storefront key metafield and the Web Pixel, against a scripted Admin API: what is
sent, and every refusal (user errors, a missing answer, a revoked token) turned into the
install step that failed, in words the install page can show."""

import json
from collections.abc import Callable
from typing import Any

import pytest

from webhooks.backfill.shopify_admin import AccessRevokedError, ShopifyAdminError
from webhooks.shopify_app.errors import PixelActivationFailed, StorefrontKeyFailed
from webhooks.shopify_app.storefront_key import write_storefront_key
from webhooks.shopify_app.web_pixel import PIXEL_SETTINGS, activate_pixel

Answer = dict[str, Any] | Exception
INSTALLATION = {"currentAppInstallation": {"id": "gid://shopify/AppInstallation/9"}}
KEY = "sf_public_key_123"


class ScriptedAdmin:
    """Answers each query with the first scripted answer whose word the query holds."""

    def __init__(self, **answers: Answer | Callable[[dict[str, Any]], Answer]) -> None:
        self.answers = answers
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        self.sent.append((query, variables or {}))
        for word, answer in self.answers.items():
            if word in query:
                found = answer(variables or {}) if callable(answer) else answer
                if isinstance(found, Exception):
                    raise found
                return found
        raise AssertionError(f"unexpected query: {query}")

    def variables(self, word: str) -> list[dict[str, Any]]:
        return [variables for query, variables in self.sent if word in query]


def metafields_set(errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {"metafieldsSet": {"metafields": None if errors else [{"id": "m"}],
                              "userErrors": errors}}


async def test_the_key_is_set_on_the_apps_installation() -> None:
    api = ScriptedAdmin(currentAppInstallation=INSTALLATION, metafieldsSet=metafields_set([]))
    await write_storefront_key(api, KEY)
    [sent] = api.variables("metafieldsSet")
    assert sent == {"metafields": [{
        "ownerId": "gid://shopify/AppInstallation/9", "namespace": "affinity",
        "key": "storefront_key", "type": "single_line_text_field", "value": KEY}]}


async def test_a_refused_metafield_is_a_failed_step_with_shopifys_reason() -> None:
    api = ScriptedAdmin(currentAppInstallation=INSTALLATION, metafieldsSet=metafields_set([
        {"field": ["metafields", "0", "value"], "message": "Value is too long.",
         "code": "TOO_LONG"}]))
    with pytest.raises(StorefrontKeyFailed) as failed:
        await write_storefront_key(api, KEY)
    assert failed.value.step == "storefront key"
    assert "TOO_LONG: Value is too long." in failed.value.message
    assert KEY not in failed.value.message


@pytest.mark.parametrize("installation", [{"currentAppInstallation": None}, {},
                                          {"currentAppInstallation": {"id": ""}}])
async def test_no_installation_named_is_a_failed_step(installation: dict[str, Any]) -> None:
    api = ScriptedAdmin(currentAppInstallation=installation, metafieldsSet=metafields_set([]))
    with pytest.raises(StorefrontKeyFailed, match="no installation"):
        await write_storefront_key(api, KEY)
    assert api.variables("metafieldsSet") == []


@pytest.mark.parametrize("answer", [
    {}, {"metafieldsSet": None}, {"metafieldsSet": "yes"},
    {"metafieldsSet": {"userErrors": "many"}},
    ShopifyAdminError("Shopify Admin API answered 503 after 2 tries"),
    AccessRevokedError("Shopify refused the access token (401)")])
async def test_an_answer_not_understood_or_an_outage_is_a_failed_step(answer: Answer) -> None:
    api = ScriptedAdmin(currentAppInstallation=INSTALLATION, metafieldsSet=answer)
    with pytest.raises(StorefrontKeyFailed):
        await write_storefront_key(api, KEY)


def pixel_payload(mutation: str, errors: list[dict[str, Any]],
                  pixel_id: str | None = "gid://shopify/WebPixel/4") -> dict[str, Any]:
    return {mutation: {"webPixel": None if errors or pixel_id is None else {"id": pixel_id},
                       "userErrors": errors}}


NO_PIXEL = ShopifyAdminError("Shopify Admin API error: No web pixel was found for this app.")


async def test_a_shop_without_the_pixel_gets_it_created_with_its_settings() -> None:
    api = ScriptedAdmin(webPixelCreate=pixel_payload("webPixelCreate", []), webPixel=NO_PIXEL)
    activated = await activate_pixel(api)
    assert activated.created and activated.pixel_id == "gid://shopify/WebPixel/4"
    [sent] = api.variables("webPixelCreate")
    assert json.loads(sent["webPixel"]["settings"]) == PIXEL_SETTINGS == {"collectUrl": ""}
    assert api.variables("webPixelUpdate") == []


async def test_a_shop_with_the_pixel_gets_it_updated_not_a_second_one() -> None:
    api = ScriptedAdmin(webPixelUpdate=pixel_payload("webPixelUpdate", [],
                                                     "gid://shopify/WebPixel/7"),
                        webPixel={"webPixel": {"id": "gid://shopify/WebPixel/7"}})
    activated = await activate_pixel(api)
    assert not activated.created and activated.pixel_id == "gid://shopify/WebPixel/7"
    [sent] = api.variables("webPixelUpdate")
    assert sent["id"] == "gid://shopify/WebPixel/7"
    assert json.loads(sent["webPixel"]["settings"]) == PIXEL_SETTINGS
    assert api.variables("webPixelCreate") == []


@pytest.mark.parametrize(("code", "message"), [
    ("INVALID_SETTINGS", "The provided settings does not match the expected settings."),
    ("TAKEN", "Web pixel is taken."), ("NO_EXTENSION", "No extension found.")])
async def test_a_refused_pixel_is_a_failed_step_with_shopifys_reason(code: str,
                                                                     message: str) -> None:
    api = ScriptedAdmin(webPixelCreate=pixel_payload("webPixelCreate", [
        {"field": ["webPixel", "settings"], "message": message, "code": code}]),
        webPixel=NO_PIXEL)
    with pytest.raises(PixelActivationFailed) as failed:
        await activate_pixel(api)
    assert failed.value.step == "Web Pixel activation"
    assert f"{code}: {message}" in failed.value.message


async def test_an_update_of_a_pixel_gone_meanwhile_is_a_failed_step() -> None:
    api = ScriptedAdmin(webPixelUpdate=pixel_payload("webPixelUpdate", [
        {"field": ["id"], "message": "Web pixel not found.", "code": "NOT_FOUND"}]),
        webPixel={"webPixel": {"id": "gid://shopify/WebPixel/7"}})
    with pytest.raises(PixelActivationFailed, match="NOT_FOUND"):
        await activate_pixel(api)


@pytest.mark.parametrize("answer", [
    {}, {"webPixelCreate": None}, pixel_payload("webPixelCreate", [], pixel_id=None),
    ShopifyAdminError("Shopify Admin API error: Access denied for webPixelCreate field.")])
async def test_no_pixel_in_the_answer_is_a_failed_step(answer: Answer) -> None:
    api = ScriptedAdmin(webPixelCreate=answer, webPixel=NO_PIXEL)
    with pytest.raises(PixelActivationFailed):
        await activate_pixel(api)


async def test_a_revoked_token_stops_the_pixel_step_at_the_lookup() -> None:
    api = ScriptedAdmin(webPixelCreate=pixel_payload("webPixelCreate", []),
                        webPixel=AccessRevokedError("Shopify refused the access token (401)"))
    with pytest.raises(PixelActivationFailed, match="refused the access token"):
        await activate_pixel(api)
    assert api.variables("webPixelCreate") == []
