"""Secrets at rest: authenticated encryption with a key from the settings or a key file."""
