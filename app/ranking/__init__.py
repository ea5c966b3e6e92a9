"""Scoring and ordering: the per-shop model artefact, features, blend, rules and reasons."""
