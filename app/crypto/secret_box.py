"""Encrypt secrets before they reach the database (webhook secrets, platform tokens, ...).

A stored value is ``enc:v1:`` followed by a Fernet token (AES-128-CBC with HMAC-SHA256,
from ``cryptography``): a database dump or backup alone reveals no secret. The key comes
from ``AFFINITY_SECRET_KEY`` or, when that is unset, from a key file under the data folder,
made on first use with mode 0600."""

import base64
import hashlib
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from app.crypto.file_modes import private_folder
from app.errors import AppError, ErrorCode
from app.settings import Settings

PREFIX = "enc:v1:"
KEY_FILE_NAME = "secret.key"


class SecretKeyError(AppError):
    """The key is missing, malformed, or not the one the value was encrypted with."""

    code = ErrorCode.UNAVAILABLE


class SecretBox:
    """Encrypts and decrypts short text secrets with one key."""

    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError) as exc:
            raise SecretKeyError("the secret key is not a 32-byte url-safe base64 key") from exc

    def encrypt(self, plaintext: str) -> str:
        return PREFIX + self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, stored: str) -> str:
        """The plaintext of an encrypted value; a value stored before encryption existed
        (no prefix) is returned as it is, so that an upgrade can re-encrypt it."""
        if not is_encrypted(stored):
            return stored
        try:
            return self._fernet.decrypt(stored[len(PREFIX):].encode()).decode()
        except InvalidToken as exc:
            raise SecretKeyError(
                "a stored secret does not match the secret key: set AFFINITY_SECRET_KEY "
                "(or restore the data folder's secret.key) to the key it was stored with"
            ) from exc


def is_encrypted(stored: str) -> bool:
    return stored.startswith(PREFIX)


def key_from_text(text: str) -> bytes:
    """A Fernet key from the setting: a Fernet key as it is, any other text is hashed into
    one (so that a passphrase works too)."""
    raw = text.strip().encode()
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32:
            return raw
    except ValueError:
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(raw).digest())


def load_or_create_key_file(path: Path) -> bytes:
    """The key in ``path``, made (0600, in a folder made 0700) if the file does not exist."""
    if path.exists():
        return path.read_bytes().strip()
    private_folder(path.parent)
    key = Fernet.generate_key()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(key + b"\n")
    return key


def install_key(settings: Settings) -> bytes:
    """This install's key: the configured one, else the data folder's key file."""
    if settings.secret_key:
        return key_from_text(settings.secret_key.get_secret_value())
    return load_or_create_key_file(settings.data_dir / KEY_FILE_NAME)


def secret_box_for(settings: Settings) -> SecretBox:
    """The box of these settings (built once per process by a composition root)."""
    return SecretBox(install_key(settings))
