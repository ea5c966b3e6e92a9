"""Routes of the demo storefront: its pages, its configuration and placeholder images."""

from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from app.demo_storefront.images import ImageLabel, placeholder_svg

STATIC_DIR = Path(__file__).parent / "static"
PAGE_PATHS = ("/demo", "/demo/", "/demo/products/{product_id}", "/demo/cart", "/demo/search")

StorefrontKeyLookup = Callable[[], Awaitable[str | None]]
ImageLabelLookup = Callable[[str], Awaitable[ImageLabel | None]]

__all__ = ["ImageLabel", "ImageLabelLookup", "StorefrontKeyLookup", "demo_routes"]


def demo_routes(
    storefront_key_for_demo: StorefrontKeyLookup,
    *,
    image_label_for: ImageLabelLookup | None = None,
    static_dir: Path | None = None,
) -> list[BaseRoute]:
    """The demo shop under /demo.

    `storefront_key_for_demo` finds the demo shop's storefront key (None until `affinity demo`
    has run); `image_label_for` finds a product's title and type for its placeholder image.
    """
    static = static_dir or STATIC_DIR

    async def page(request: Request) -> Response:
        # Every page is the same document; its script reads the path.
        return FileResponse(static / "index.html", headers={"Cache-Control": "no-cache"})

    async def config(request: Request) -> Response:
        key = await storefront_key_for_demo()
        if key is None:
            return JSONResponse({"error": "demo_shop_missing"}, status_code=503)
        body = {"endpoint": "/graphql", "storefrontKey": key}
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    async def image(request: Request) -> Response:
        product_id = request.path_params["product_id"]
        label = await image_label_for(product_id) if image_label_for else None
        return Response(
            placeholder_svg(product_id, label),
            media_type="image/svg+xml",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    return [
        *(Route(path, page, methods=["GET", "HEAD"]) for path in PAGE_PATHS),
        Route("/demo/config.json", config, methods=["GET"]),
        Route("/demo/images/{product_id}.svg", image, methods=["GET", "HEAD"]),
        Mount("/demo/static", StaticFiles(directory=static), name="demo_static"),
    ]
