"""The shopper simulator: customers of the Online Retail data visit a running server over
HTTP, see its lists, click, add to cart and buy; the lift the admin API then reports is
checked against what the simulator itself did."""
