"""The authorization-code grant's last step: the code the merchant's approval produced is
exchanged for the shop's offline access token (``POST /admin/oauth/access_token``)."""

import json
from dataclasses import dataclass, field

import httpx

from webhooks.shopify_app.errors import TokenExchangeFailed

MAX_ANSWER_BYTES = 64 * 1024
MAX_TOKEN_CHARS = 1024
MAX_CODE_CHARS = 512


@dataclass(frozen=True)
class GrantedToken:
    access_token: str = field(repr=False)
    scope: str


async def _bounded_body(response: httpx.Response) -> bytes:
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise TokenExchangeFailed("Shopify's answer to the token exchange was too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _granted(status: int, body: bytes) -> GrantedToken:
    if status != 200:
        raise TokenExchangeFailed(f"Shopify refused the token exchange (HTTP {status})")
    try:
        answer = json.loads(body)
        token, scope = answer["access_token"], answer.get("scope", "")
    except (ValueError, KeyError, TypeError) as error:
        raise TokenExchangeFailed("Shopify's answer to the token exchange was not understood") from error
    if not isinstance(token, str) or not token.strip() or len(token) > MAX_TOKEN_CHARS:
        raise TokenExchangeFailed("Shopify's answer to the token exchange held no usable token")
    return GrantedToken(token.strip(), str(scope)[:1024])


async def exchange_code(http: httpx.AsyncClient, shop_url: str, api_key: str, api_secret: str,
                        code: str) -> GrantedToken:
    """The shop's offline token for ``code``; ``TokenExchangeFailed`` otherwise."""
    if not code or len(code) > MAX_CODE_CHARS:
        raise TokenExchangeFailed("the callback carried no usable authorization code")
    url = f"{shop_url.rstrip('/')}/admin/oauth/access_token"
    payload = {"client_id": api_key, "client_secret": api_secret, "code": code}
    try:
        async with http.stream("POST", url, json=payload,
                               headers={"Accept": "application/json"}) as response:
            body = await _bounded_body(response)
    except httpx.HTTPError as error:
        raise TokenExchangeFailed(
            f"Shopify could not be reached for the token exchange ({type(error).__name__})") from error
    return _granted(response.status_code, body)
