"""Storefront events through a Redis stream: servers append, event writers store."""
