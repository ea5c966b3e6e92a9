"""The rules page: the shop's merchandising rules, a form to create or edit one, delete,
the audit of changes, and a preview of what a shopper sees on a placement with and without
the rules.

Every change goes through ``app.rules.service`` (bounds, the shop's catalog, an audit entry
naming the shop and its token's fingerprint). The preview needs the serving path, which the
composition root hands in (``RulePreviewer``, which also tells this process's rule directory
that a shop's rules changed); without it the page says so."""

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.console.guard import Console, Handler, Signed
from app.console.web import PREFIX, Form, field, number_field, redirect
from app.errors import AppError, InvalidInput, NotFound
from app.ids import ShopId
from app.recommendations.types import Placement
from app.rules import service
from app.rules.models import Rule
from app.rules.preview import Preview, RulePreviewer
from app.rules.specs import FIELDS, KINDS, PLACEMENTS, RuleSpec, local_time
from app.storage.database import transaction

PATH = f"{PREFIX}/rules"
AUDIT_SHOWN = 20
MAX_ID_DIGITS = 18
MAX_SHOPPER_CHARS = 128
ORDERED_PLACEMENTS = [p.value for p in Placement if p.value in PLACEMENTS]
PREVIEW_PLACEMENTS = [p for p in ORDERED_PLACEMENTS if p != Placement.SEARCH.value]
"""A preview shows a carousel (search ranks the shop's own results)."""
SPEC_FIELDS = ("name", "kind", "placement", "field", "values", "price_min", "price_max",
               "product_id", "position", "strength", "threshold", "priority", "starts_at",
               "ends_at", "enabled")


PageRoute = Callable[[str, Handler], Route]



def _int(form: Form, name: str) -> int | None:
    text = field(form, name)
    if not text:
        return None
    if not text.lstrip("-").isdecimal() or len(text) > 9:
        raise InvalidInput(f"{name}: expected a whole number")
    return int(text)


def spec_from_form(form: Form) -> RuleSpec:
    values = tuple(v.strip() for v in field(form, "values").split(",") if v.strip())
    return RuleSpec(
        name=field(form, "name"), kind=field(form, "kind"),
        placement=field(form, "placement") or None, field=field(form, "field") or None,
        values=values, price_min=number_field(form, "price_min"), price_max=number_field(form, "price_max"),
        product_id=field(form, "product_id") or None, position=_int(form, "position"),
        strength=number_field(form, "strength"), threshold=number_field(form, "threshold"),
        priority=_int(form, "priority") or 0,
        starts_at=local_time("startsAt", field(form, "starts_at")),
        ends_at=local_time("endsAt", field(form, "ends_at")),
        enabled=field(form, "enabled") == "on")


def _form_values(rule: Rule | None) -> dict[str, str]:
    if rule is None:
        return {"enabled": "on", "priority": "0"}
    values: dict[str, str] = {}
    for name in SPEC_FIELDS:
        value = getattr(rule, name)
        if name == "values":
            values[name] = ", ".join(value or ())
        elif name in ("starts_at", "ends_at"):
            values[name] = "" if value is None else value.strftime("%Y-%m-%dT%H:%M")
        elif name == "enabled":
            values[name] = "on" if value else ""
        else:
            values[name] = "" if value is None else str(value)
    return values


def _rule_id(request: Request) -> int:
    text = str(request.path_params["rule_id"])
    if not text.isdecimal() or len(text) > MAX_ID_DIGITS:
        raise NotFound("no such rule")
    return int(text)


class RulesPage:
    def __init__(self, console: Console, preview: RulePreviewer | None) -> None:
        self._console = console
        self._preview = preview

    async def _render(self, signed: Signed, status_code: int = 200, *, editing: int | None = None,
                      values: dict[str, str] | None = None, error: str | None = None,
                      preview: Preview | None = None, preview_error: str | None = None,
                      asked: dict[str, str] | None = None) -> Response:
        async with transaction(self._console.database) as db:
            rules = await service.list_rules(db, ShopId(signed.shop_id))
            audit = await service.audit_entries(db, ShopId(signed.shop_id), AUDIT_SHOWN)
        return self._console.render(
            "rules.html", status_code, signed=signed, page="rules", title="Rules", rules=rules,
            audit=audit, editing=editing, values=values or _form_values(None), error=error,
            kinds=KINDS, fields=FIELDS, placements=ORDERED_PLACEMENTS,
            preview_placements=PREVIEW_PLACEMENTS, asked=asked or {},
            can_preview=self._preview is not None, preview=preview, preview_error=preview_error)

    def _changed(self, shop: ShopId) -> None:
        """After the commit: this process serves the shop's new rules at once."""
        if self._preview is not None:
            self._preview.changed(shop)

    async def show(self, request: Request, signed: Signed) -> Response:
        return await self._render(signed)

    async def edit(self, request: Request, signed: Signed) -> Response:
        try:
            rule_id = _rule_id(request)
            async with transaction(self._console.database) as db:
                rule = await service.get_rule(db, ShopId(signed.shop_id), rule_id)
                values = _form_values(rule)
        except NotFound:
            return self._console.render("error.html", 404, title="Not found", signed=signed,
                                        page="rules", message="This shop has no such rule.")
        return await self._render(signed, editing=rule_id, values=values)

    async def save(self, request: Request, signed: Signed) -> Response:
        editing = _rule_id(request) if "rule_id" in request.path_params else None
        shop = ShopId(signed.shop_id)
        try:
            spec = spec_from_form(signed.form)
            async with transaction(self._console.database) as db:
                actor = await service.admin_actor(db, shop)
                if editing is None:
                    await service.create_rule(db, shop, spec, actor)
                else:
                    await service.update_rule(db, shop, editing, spec, actor)
            self._changed(shop)
        except AppError as refused:
            values = {name: field(signed.form, name) for name in SPEC_FIELDS}
            return await self._render(signed, 400 if not isinstance(refused, NotFound) else 404,
                                      editing=editing, values=values, error=refused.message)
        return redirect(PATH)

    async def delete(self, request: Request, signed: Signed) -> Response:
        shop = ShopId(signed.shop_id)
        try:
            rule_id = _rule_id(request)
            async with transaction(self._console.database) as db:
                await service.delete_rule(db, shop, rule_id, await service.admin_actor(db, shop))
            self._changed(shop)
        except NotFound:
            return self._console.render("error.html", 404, title="Not found", signed=signed,
                                        page="rules", message="This shop has no such rule.")
        return redirect(PATH)

    async def preview(self, request: Request, signed: Signed) -> Response:
        if self._preview is None:
            return await self._render(signed, 503, preview_error=(
                "Preview is not available on this server."))
        placement = field(signed.form, "placement").upper()
        visitor = field(signed.form, "visitor_id")[:MAX_SHOPPER_CHARS] or None
        customer = field(signed.form, "customer_id")[:MAX_SHOPPER_CHARS] or None
        asked = {"placement": placement, "visitor_id": visitor or "",
                 "customer_id": customer or ""}
        try:
            if placement not in PREVIEW_PLACEMENTS:
                raise InvalidInput("placement: expected one of " + ", ".join(PREVIEW_PLACEMENTS))
            if visitor is None and customer is None:
                raise InvalidInput("visitorId: give a visitor id or a customer id")
            async with transaction(self._console.database) as db:
                found = await self._preview.preview(db, ShopId(signed.shop_id), placement,
                                                    visitor, customer)
        except AppError as refused:
            return await self._render(signed, 400, preview_error=refused.message, asked=asked)
        return await self._render(signed, preview=found, asked=asked)


def rule_routes(console: Console, preview: RulePreviewer | None,
                get: PageRoute, post: PageRoute) -> list[Route]:
    page = RulesPage(console, preview)
    return [get("/rules", page.show), post("/rules", page.save),
            post("/rules/preview", page.preview),
            get("/rules/{rule_id}", page.edit), post("/rules/{rule_id}", page.save),
            post("/rules/{rule_id}/delete", page.delete)]
