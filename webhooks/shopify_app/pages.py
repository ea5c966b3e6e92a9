"""The few pages the install shows the merchant: what happened, in plain words, and what
to do next. Every value is escaped; none comes from the request unchecked."""

from html import escape
from urllib.parse import urlencode

from starlette.responses import HTMLResponse

from webhooks.shopify_app.installer import Installed

HEADERS = {"Cache-Control": "no-store"}
APP_EMBED = "app-embed"
"""The app embed's handle: its file name in the theme extension's ``blocks/``."""
PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Affinity</title></head>
<body><main><h1>{title}</h1>{body}</main></body>
</html>
"""


def page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(PAGE.format(title=escape(title), body=body), status_code,
                        headers=HEADERS)


def paragraph(text: str) -> str:
    return f"<p>{escape(text)}</p>"


def refused(status_code: int, message: str) -> HTMLResponse:
    return page("The install was refused", paragraph(message) + paragraph(
        "Nothing was stored. Start the install again from the Shopify admin."), status_code)


def step_failed(step: str, message: str, install_url: str) -> HTMLResponse:
    return page(f"The install did not finish: {step} failed", paragraph(message)
                + f'<p><a href="{escape(install_url)}">Install again</a> to complete it.</p>',
                502)


def theme_editor_url(shop_url: str, api_key: str) -> str:
    """The shop's theme editor with Affinity's app embed open, ready to be switched on."""
    return (f"{shop_url}/admin/themes/current/editor?"
            + urlencode({"context": "apps", "activateAppId": f"{api_key}/{APP_EMBED}"}))


def _next_steps(editor_url: str) -> str:
    return ("<h2>Next</h2><ol>"
            f'<li>Switch on the <strong>Affinity</strong> app embed in the <a href="'
            f'{escape(editor_url)}">theme editor</a> (Theme settings, App embeds): it loads '
            "the carousel on every page of the theme.</li>"
            "<li>Add the <strong>Recommendations</strong> block where products should be "
            "recommended: on the home page, a product page or the cart page, choose "
            "Add block, then Apps.</li></ol>")


def _headless(storefront_key: str) -> str:
    return ("<h2>Headless storefronts</h2>"
            + paragraph("Hydrogen, Next.js and other storefronts of your own send this "
                        "storefront key with every request (it is public, like the theme's):")
            + f"<p><code>{escape(storefront_key)}</code></p>")


def installed(done: Installed, shop_url: str, api_key: str, console_url: str) -> HTMLResponse:
    backfill = ("Affinity is importing the shop's catalog and order history in the "
                "background." if done.backfill_started else
                "The shop's import is already running.")
    pixel = ("Affinity's Web Pixel is on: the storefront's product views, adds to cart, "
             "searches and checkouts reach Affinity for visitors who allow analytics."
             if done.pixel_created else "Affinity's Web Pixel is on, with its settings renewed.")
    return page("Affinity is installed", paragraph(
        f"Affinity is installed on {done.domain}: its catalog changes, orders and stock now "
        f"reach Affinity ({done.webhooks_created} webhook subscriptions added).")
        + paragraph(pixel) + paragraph(backfill)
        + _next_steps(theme_editor_url(shop_url, api_key)) + _headless(done.storefront_key)
        + f'<p><a href="{escape(console_url)}">Open Affinity in the Shopify admin</a>.</p>')
