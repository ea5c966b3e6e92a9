from app.catalog.text import content_hash, product_text, strip_html
from app.ids import parse_product_id


def test_plain_and_gid_product_ids_are_the_same_id() -> None:
    assert parse_product_id("632910392") == "632910392"
    assert parse_product_id("gid://shopify/Product/632910392") == "632910392"
    assert parse_product_id(" 85123A ") == "85123A"


def test_product_text_strips_html_and_orders_fields() -> None:
    text = product_text("Mug", "Kitchen", "<p>Holds <b>tea</b>&amp;coffee</p>")
    assert text == "Mug. Kitchen. Holds tea &coffee"
    assert strip_html("<div>a</div>\n<div>b</div>") == "a b"


def test_content_hash_changes_only_with_text() -> None:
    a = content_hash(product_text("Mug", None, ""))
    b = content_hash(product_text("Mug", None, ""))
    c = content_hash(product_text("Cup", None, ""))
    assert a == b != c
