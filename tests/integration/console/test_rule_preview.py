"""The rules page's preview on a real app: the lists the serving engine ranks for a
shopper, with and without the shop's rules, side by side."""

import re
from pathlib import Path

from app.console.routes import console_routes
from app.console.sessions import SessionStore
from app.embeddings.sentence_transformer import SentenceTransformerEmbedder
from app.rules.directory import RuleDirectory
from app.rules.preview import RulePreviewer
from app.shops.models import Shop
from app.shops.service import rotate_admin_token
from app.storage.database import transaction
from tests.factories import MUGS_AND_MORE, product
from tests.integration.console.support import ConsoleClient
from tests.support import harness


async def test_the_preview_shows_both_lists_and_the_rules_that_act(
        database_url: str, tmp_path: Path, embedder: SentenceTransformerEmbedder) -> None:
    async with harness(database_url, tmp_path, embedder) as h:
        shop_id, _ = await h.add_shop([product(pid, title) for pid, title in MUGS_AND_MORE])
        async with transaction(h.services.sessions) as session:
            shop = await session.get(Shop, shop_id)
            assert shop is not None
            token = await rotate_admin_token(session, shop)
        store = SessionStore()
        previewer = RulePreviewer(h.services.ranker, RuleDirectory())
        h.app.router.routes.extend(console_routes(h.services.sessions, h.settings,
                                                  rule_preview=previewer, store=store))
        client = ConsoleClient(h.client, store)
        await client.log_in(token)
        pinned = MUGS_AND_MORE[-1][0]
        created = await client.post("/admin/rules", {
            "name": "pin last", "kind": "pin", "placement": "HOME", "product_id": pinned,
            "position": "1", "priority": "0", "enabled": "on"})
        assert created.status_code == 303
        page = await client.client.get("/admin/rules")
        assert 'id="preview-placement"' in page.text and ">SEARCH<" not in page.text.split(
            'id="preview-placement"')[1].split("</select>")[0]
        missing = await client.post("/admin/rules/preview", {"placement": "HOME"})
        assert missing.status_code == 400 and "visitorId" in missing.text
        shown = await client.post("/admin/rules/preview", {"placement": "HOME",
                                                           "visitor_id": "v-preview"})
        assert shown.status_code == 200
        assert "With the rules" in shown.text and "Without the rules" in shown.text
        assert "1 rule(s) act on this placement now." in shown.text
        lists = re.findall(r'<ol class="preview-list">(.*?)</ol>', shown.text, re.DOTALL)
        assert len(lists) == 2 and all('data-product="' in listed for listed in lists)
