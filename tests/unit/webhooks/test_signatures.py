import base64
import hashlib
import hmac

from webhooks.signatures import hmac_sha256_base64, matches_any, token_matches_any

BODY = b'{"id": 632910392}'


def test_signature_is_the_base64_hmac_sha256_of_the_raw_body() -> None:
    expected = base64.b64encode(hmac.new(b"s3cret", BODY, hashlib.sha256).digest()).decode()
    assert hmac_sha256_base64("s3cret", BODY) == expected


def test_any_of_the_current_secrets_verifies() -> None:
    signature = hmac_sha256_base64("new", BODY)
    assert matches_any(signature, BODY, ["old", "new"])
    assert not matches_any(signature, BODY, ["old"])
    assert not matches_any(signature, BODY + b" ", ["new"])
    assert not matches_any(None, BODY, ["new"])
    assert not matches_any("", BODY, ["new"])
    assert not matches_any(signature, BODY, [])
    assert not matches_any("not base64 at all", BODY, ["new"])


def test_shared_tokens_compare_exactly() -> None:
    assert token_matches_any("abc", ["x", "abc"])
    assert not token_matches_any("ab", ["abc"])
    assert not token_matches_any(None, ["abc"])
