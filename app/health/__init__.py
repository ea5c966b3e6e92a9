"""Data health and privacy figures of a shop, each against its target with what to do."""
