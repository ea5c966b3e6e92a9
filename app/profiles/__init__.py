"""Who the shopper is: long-term profile from orders and stored events, short-term intent
from the current session."""
