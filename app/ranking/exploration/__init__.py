"""Which fresh products fill a list's exploration slots: in score order (``fixed``, the
engine's first behaviour) or by Thompson sampling on each product's click-through rate,
learned from the impressions and clicks the storefront reports (``thompson``)."""
