"""The evaluation harness: offline protocols run through the real serving path."""
