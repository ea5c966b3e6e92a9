"""Console sessions: a random id in a cookie, everything else in this process's memory.

A session names the shop and the SHA-256 of the admin token it was opened with (never the
token), its CSRF token, and when it ends: ``IDLE_SECONDS`` after the last request or
``LIFETIME_SECONDS`` after log-in, whichever comes first. Only the id's SHA-256 is a key
here, so a memory dump does not hand out live cookies. At most ``MAX_SESSIONS`` live at
once; past that the least recently used one is forgotten (its holder logs in again).

Kept in memory, a session is known only to the process that opened it: the embedded
default runs one server process; several processes behind one address need sticky
routing (documented in docs/console.md).

Embedded in the Shopify admin, the console is opened by App Bridge session tokens instead
(``verify_session_token``): no cookie, one token per request."""

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace

from app.admin.auth import AdminShop

IDLE_SECONDS = 30 * 60
LIFETIME_SECONDS = 12 * 60 * 60
MAX_SESSIONS = 10_000
ID_BYTES = 32
MAX_ID_LENGTH = 64
Clock = Callable[[], float]


@dataclass(frozen=True)
class ConsoleSession:
    shop: AdminShop
    token_digest: str
    """SHA-256 of the admin token that opened the session: a rotated token ends it."""
    csrf_token: str
    opened_at: float
    seen_at: float

    def csrf_matches(self, sent: str | None) -> bool:
        return sent is not None and hmac.compare_digest(sent.encode(), self.csrf_token.encode())


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    def __init__(self, clock: Clock = time.monotonic, idle_seconds: float = IDLE_SECONDS,
                 lifetime_seconds: float = LIFETIME_SECONDS,
                 max_sessions: int = MAX_SESSIONS) -> None:
        self._clock = clock
        self._idle = idle_seconds
        self._lifetime = lifetime_seconds
        self._max = max_sessions
        self._sessions: OrderedDict[str, ConsoleSession] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sessions)

    def open(self, shop: AdminShop, token_digest: str) -> tuple[str, ConsoleSession]:
        """A new session; returns its id (for the cookie) and the session."""
        session_id = secrets.token_urlsafe(ID_BYTES)
        now = self._clock()
        session = ConsoleSession(shop, token_digest, secrets.token_urlsafe(ID_BYTES), now, now)
        self._sessions[_key(session_id)] = session
        while len(self._sessions) > self._max:
            self._sessions.popitem(last=False)
        return session_id, session

    def find(self, session_id: str | None) -> ConsoleSession | None:
        """The live session of this id (its idle time starts again), ``None`` otherwise."""
        if not session_id or len(session_id) > MAX_ID_LENGTH:
            return None
        key = _key(session_id)
        session = self._sessions.get(key)
        if session is None:
            return None
        now = self._clock()
        if now - session.seen_at > self._idle or now - session.opened_at > self._lifetime:
            del self._sessions[key]
            return None
        session = replace(session, seen_at=now)
        self._sessions[key] = session
        self._sessions.move_to_end(key)
        return session

    def close(self, session_id: str | None) -> None:
        if session_id:
            self._sessions.pop(_key(session_id), None)

    def close_shop(self, shop_id: int) -> None:
        """Every session of the shop (its token changed)."""
        for key in [k for k, s in self._sessions.items() if s.shop.id == shop_id]:
            del self._sessions[key]


# App Bridge session tokens: the console embedded in the Shopify admin has no cookie (a
# framed page's cookies are third-party); every request carries a token App Bridge signed
# with the app's secret, valid for a minute.

SESSION_TOKEN_LEEWAY_SECONDS = 10.0
MAX_SESSION_TOKEN_CHARS = 4096
SHOP_HOST = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
JWT_HEADER_FIELDS = {"alg", "typ", "kid"}


class InvalidSessionToken(Exception):
    """The token is not one App Bridge issued for this app, now (the reason is logged
    at most, never shown)."""


@dataclass(frozen=True)
class SessionTokenClaims:
    shop: str
    """The shop's myshopify.com domain, from ``dest``."""
    user: str | None


def _b64_json(part: str) -> dict[str, object]:
    try:
        value = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, binascii.Error) as error:
        raise InvalidSessionToken("not base64url JSON") from error
    if not isinstance(value, dict):
        raise InvalidSessionToken("not a JSON object")
    return value


def _signature_matches(signed: str, signature: str, secret: str) -> bool:
    expected = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()
    given = base64.urlsafe_b64encode(expected).rstrip(b"=")
    return hmac.compare_digest(given, signature.encode())


def _number(claims: dict[str, object], name: str) -> float:
    value = claims.get(name)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise InvalidSessionToken(f"{name}: missing")
    return float(value)


def _shop_of(claims: dict[str, object]) -> str:
    dest, iss = claims.get("dest"), claims.get("iss")
    if not isinstance(dest, str) or not dest.startswith("https://"):
        raise InvalidSessionToken("dest: not a shop's URL")
    host = dest.removeprefix("https://")
    if SHOP_HOST.fullmatch(host) is None:
        raise InvalidSessionToken("dest: not a myshopify.com shop")
    if iss != dest + "/admin":
        raise InvalidSessionToken("iss: not the shop's admin")
    return host


def verify_session_token(token: str, api_key: str, api_secret: str, now: float,
                         leeway: float = SESSION_TOKEN_LEEWAY_SECONDS) -> SessionTokenClaims:
    """The claims of an HS256 token App Bridge signed with the app's secret for this app
    (``aud``), a shop's admin (``iss`` is ``dest`` + ``/admin``) and now (``nbf``/``exp``
    with ``leeway``); ``InvalidSessionToken`` otherwise. Only HS256 is accepted."""
    if not token or len(token) > MAX_SESSION_TOKEN_CHARS or token.count(".") != 2:
        raise InvalidSessionToken("not a JWT")
    header_part, claims_part, signature = token.split(".")
    header = _b64_json(header_part)
    if header.get("alg") != "HS256" or not set(header) <= JWT_HEADER_FIELDS:
        raise InvalidSessionToken("alg: only HS256")
    if not api_secret or not _signature_matches(f"{header_part}.{claims_part}", signature,
                                                api_secret):
        raise InvalidSessionToken("signature: not the app's")
    claims = _b64_json(claims_part)
    if not api_key or claims.get("aud") != api_key:
        raise InvalidSessionToken("aud: another app")
    if _number(claims, "exp") + leeway < now:
        raise InvalidSessionToken("exp: expired")
    if _number(claims, "nbf") - leeway > now:
        raise InvalidSessionToken("nbf: not yet valid")
    sub = claims.get("sub")
    return SessionTokenClaims(_shop_of(claims), sub if isinstance(sub, str) else None)
