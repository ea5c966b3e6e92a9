"""Experiments: variants of the engine per shop and placement, a shop-wide holdout, the
shopper's variant by a salted hash, and results against control with intervals."""
