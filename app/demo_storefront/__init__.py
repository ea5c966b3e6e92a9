"""The demo storefront served at /demo: a small shop over the demo catalog using the carousel."""

from app.demo_storefront.images import ImageLabel
from app.demo_storefront.routes import demo_routes

__all__ = ["ImageLabel", "demo_routes"]
