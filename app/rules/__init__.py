"""Merchandising rules: what a shop's merchandisers pin, boost, bury and filter, per placement."""
