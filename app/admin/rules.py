# strawberry.field(...) with arguments is typed as returning Any (as app.graphql, which
# pyproject exempts): as a resolver decorator that reads as untyped.
# mypy: disable-error-code="untyped-decorator"
"""Merchandising rules in the admin API: list, audit, preview, create, update, delete.

Resolvers are thin: they check bounds, call ``app.rules``, and shape the answer. A change
is served at once by this process (``RulePreviewer.changed``) and within 2 s by the others."""

import json
from datetime import datetime
from typing import Any

import strawberry

from app.admin.context import AdminInfo
from app.admin.inputs import checked_placement
from app.errors import InvalidInput, Unavailable
from app.ids import ShopId
from app.recommendations.types import RecommendationList
from app.rules import service
from app.rules.models import Rule as StoredRule
from app.rules.models import RuleAudit
from app.rules.preview import RulePreviewer
from app.rules.specs import RuleSpec, local_time

MAX_RULE_ID_DIGITS = 18


@strawberry.type(description="A merchandising rule (see docs/rules.md for the kinds).")
class MerchandisingRule:
    id: strawberry.ID
    name: str
    placement: str | None = strawberry.field(description="Null: every placement.")
    kind: str = strawberry.field(description=(
        "pin, boost, bury, include, exclude, margin_floor or min_stock."))
    field: str | None = strawberry.field(description=(
        "What a boost, bury, include or exclude matches: tag, vendor, product_type, "
        "collection or price."))
    values: list[str]
    price_min: float | None
    price_max: float | None
    product_id: str | None
    position: int | None
    strength: float | None
    threshold: float | None
    priority: int
    starts_at: str | None = strawberry.field(description="The shop's local time, no offset.")
    ends_at: str | None
    enabled: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_domain(cls, rule: StoredRule) -> "MerchandisingRule":
        found = service.rule_json(rule)
        return cls(**{**found, "id": strawberry.ID(str(rule.id))},
                   created_at=rule.created_at, updated_at=rule.updated_at)


@strawberry.type(description="One change of a rule: who, when, before and after (JSON).")
class RuleAuditEntry:
    id: strawberry.ID
    rule_id: strawberry.ID
    action: str
    actor: str = strawberry.field(description=(
        "The admin token's shop and a fingerprint of the token's hash."))
    at: datetime
    before: str | None
    after: str | None

    @classmethod
    def from_domain(cls, entry: RuleAudit) -> "RuleAuditEntry":
        def text(value: dict[str, Any] | None) -> str | None:
            return None if value is None else json.dumps(value, sort_keys=True)
        return cls(id=strawberry.ID(str(entry.id)), rule_id=strawberry.ID(str(entry.rule_id)),
                   action=entry.action, actor=entry.actor, at=entry.at,
                   before=text(entry.before), after=text(entry.after))


@strawberry.type
class PreviewReason:
    code: str
    message: str


@strawberry.type
class PreviewItem:
    position: int
    product_id: str
    title: str
    score: float
    reasons: list[PreviewReason]


def _items(listed: RecommendationList) -> list[PreviewItem]:
    return [PreviewItem(position=i, product_id=item.product.platform_id,
                        title=item.product.title, score=item.score,
                        reasons=[PreviewReason(code=r.code, message=r.message)
                                 for r in item.reasons])
            for i, item in enumerate(listed.items, start=1)]


@strawberry.type(description="What a shopper sees on a placement now, with and without the rules.")
class RulePreview:
    with_rules: list[PreviewItem]
    without_rules: list[PreviewItem]
    warnings: list[str]
    active_rules: int
    fell_back: bool


@strawberry.input(description="A rule; every field a kind does not use is left out.")
class RuleInput:
    name: str
    kind: str
    placement: str | None = None
    field: str | None = None
    values: list[str] | None = None
    price_min: float | None = None
    price_max: float | None = None
    product_id: str | None = None
    position: int | None = None
    strength: float | None = None
    threshold: float | None = None
    priority: int = 0
    starts_at: str | None = strawberry.field(
        default=None, description="YYYY-MM-DDTHH:MM in the shop's time zone.")
    ends_at: str | None = None
    enabled: bool = True


def spec_of(given: RuleInput) -> RuleSpec:
    return RuleSpec(name=given.name, kind=given.kind, placement=given.placement,
                    field=given.field, values=tuple(given.values or ()),
                    price_min=given.price_min, price_max=given.price_max,
                    product_id=given.product_id, position=given.position,
                    strength=given.strength, threshold=given.threshold,
                    priority=given.priority, starts_at=local_time("startsAt", given.starts_at),
                    ends_at=local_time("endsAt", given.ends_at), enabled=given.enabled)


def rule_id(value: str) -> int:
    text = str(value)
    if not text.isdecimal() or len(text) > MAX_RULE_ID_DIGITS:
        raise InvalidInput("id: not a rule id")
    return int(text)


def _previewer(info: AdminInfo) -> RulePreviewer | None:
    found: RulePreviewer | None = getattr(info.context, "rules", None)
    return found


def _changed(info: AdminInfo) -> None:
    previewer = _previewer(info)
    if previewer is not None:
        previewer.changed(ShopId(info.context.shop.id))


@strawberry.type
class RuleQuery:
    @strawberry.field(description=(
        "The shop's rules (those acting on `placement`, with the rules of every placement, "
        "when given), by priority."))
    async def rules(self, info: AdminInfo, placement: str | None = None) -> list[MerchandisingRule]:
        wanted = checked_placement(placement)
        async with info.context.database() as session:
            stored = await service.list_rules(session, ShopId(info.context.shop.id), wanted)
            return [MerchandisingRule.from_domain(r) for r in stored]

    @strawberry.field(description="The latest rule changes, newest first (1 to 200).")
    async def rule_audit(self, info: AdminInfo, first: int = 50) -> list[RuleAuditEntry]:
        async with info.context.database() as session:
            entries = await service.audit_entries(session, ShopId(info.context.shop.id), first)
            return [RuleAuditEntry.from_domain(e) for e in entries]

    @strawberry.field(description=(
        "What a visitor or customer sees on a carousel placement now, with and without the "
        "rules (not recorded)."))
    async def preview_rules(self, info: AdminInfo, placement: str,
                            visitor_id: str | None = None, customer_id: str | None = None,
                            product_ids: list[str] | None = None) -> RulePreview:
        previewer = _previewer(info)
        if previewer is None:
            raise Unavailable("previews are not available on this server")
        async with info.context.database() as session:
            found = await previewer.preview(session, ShopId(info.context.shop.id), placement,
                                            visitor_id, customer_id, product_ids)
        return RulePreview(with_rules=_items(found.with_rules),
                           without_rules=_items(found.without_rules), warnings=found.warnings,
                           active_rules=found.active_rules,
                           fell_back=found.with_rules.fell_back)


@strawberry.type
class RuleMutation:
    @strawberry.mutation(description="A new rule; refused with the field and the reason.")
    async def create_rule(self, info: AdminInfo, input: RuleInput) -> MerchandisingRule:
        spec = spec_of(input)
        shop = ShopId(info.context.shop.id)
        async with info.context.database() as session:
            actor = await service.admin_actor(session, shop)
            created = await service.create_rule(session, shop, spec, actor)
            answer = MerchandisingRule.from_domain(created)
        _changed(info)
        return answer

    @strawberry.mutation(description="Replace a rule's every field.")
    async def update_rule(self, info: AdminInfo, id: strawberry.ID,
                          input: RuleInput) -> MerchandisingRule:
        wanted, spec = rule_id(id), spec_of(input)
        shop = ShopId(info.context.shop.id)
        async with info.context.database() as session:
            actor = await service.admin_actor(session, shop)
            updated = await service.update_rule(session, shop, wanted, spec, actor)
            answer = MerchandisingRule.from_domain(updated)
        _changed(info)
        return answer

    @strawberry.mutation(description="Delete a rule; true when done.")
    async def delete_rule(self, info: AdminInfo, id: strawberry.ID) -> bool:
        wanted = rule_id(id)
        shop = ShopId(info.context.shop.id)
        async with info.context.database() as session:
            actor = await service.admin_actor(session, shop)
            await service.delete_rule(session, shop, wanted, actor)
        _changed(info)
        return True
