"""Prometheus metrics of a server (``GET /metrics``): what the request paths count, and
what a scrape reads from the database and the data folder."""
