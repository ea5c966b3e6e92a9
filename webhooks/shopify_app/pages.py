"""The few pages the install shows the merchant: what happened, in plain words, and what
to do next. Every value is escaped; none comes from the request unchecked."""

from html import escape

from starlette.responses import HTMLResponse

HEADERS = {"Cache-Control": "no-store"}
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


def installed(domain: str, webhooks_created: int, backfill_started: bool,
              console_url: str) -> HTMLResponse:
    backfill = ("Affinity is importing the shop's catalog and order history in the "
                "background." if backfill_started else
                "The shop's import is already running.")
    return page("Affinity is installed", paragraph(
        f"Affinity is installed on {domain}: its catalog changes, orders and stock now reach "
        f"Affinity ({webhooks_created} webhook subscriptions added).") + paragraph(backfill)
        + f'<p><a href="{escape(console_url)}">Open Affinity in the Shopify admin</a>.</p>')
