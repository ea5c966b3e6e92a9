"""Storefront events in: validation, consent, idempotency and identity joining."""
