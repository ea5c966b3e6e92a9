"""Attribution and KPIs: served lists joined to the impressions, clicks, carts and orders
that followed them, folded into rollups per shop, placement, variant and day."""
