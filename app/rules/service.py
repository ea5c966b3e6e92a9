"""Create, change, delete and list a shop's merchandising rules; every change is checked
(bounds, then the shop's catalog: the product, collection, tag, vendor or product type
must exist) before anything is stored, and leaves an audit entry with who made it, when,
and the rule before and after. Functions flush; the caller's transaction commits."""

import hashlib
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Collection, Product
from app.errors import InvalidInput, NotFound
from app.ids import ShopId
from app.rules.models import Rule, RuleAudit
from app.rules.specs import (
    COLLECTION,
    MAX_RULES_PER_SHOP,
    PIN,
    PRODUCT_TYPE,
    TAG,
    VENDOR,
    RuleSpec,
    checked_spec,
)
from app.shops.models import Shop
from app.storage.database import utcnow

CREATED, UPDATED, DELETED = "created", "updated", "deleted"
MAX_AUDIT_PAGE = 200
FINGERPRINT_BYTES = 6
SPEC_COLUMNS = ("name", "kind", "placement", "field", "price_min", "price_max", "product_id",
                "position", "strength", "threshold", "priority", "starts_at", "ends_at",
                "enabled")


def fingerprint(token_hash: str) -> str:
    """A short fingerprint of an admin token's stored hash: enough to tell tokens apart in
    the audit, nothing that helps to find the token."""
    return hashlib.blake2b(token_hash.encode(), digest_size=FINGERPRINT_BYTES).hexdigest()


async def admin_actor(session: AsyncSession, shop_id: ShopId) -> str:
    """Who acts with the shop's admin token: the shop and its token's fingerprint (the
    token in use is the shop's current one: a rotation revokes the old one at once)."""
    token_hash = await session.scalar(select(Shop.admin_token_hash).where(Shop.id == shop_id))
    return f"shop:{shop_id} token:{fingerprint(token_hash or '')}"


def spec_of(rule: Rule) -> RuleSpec:
    return RuleSpec(**{name: getattr(rule, name) for name in SPEC_COLUMNS},
                    values=tuple(rule.values or ()))


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def rule_json(rule: Rule) -> dict[str, Any]:
    """The rule as the audit keeps it (and the console shows it)."""
    spec = spec_of(rule)
    found: dict[str, Any] = {name: getattr(spec, name) for name in SPEC_COLUMNS}
    found.update(id=rule.id, values=list(spec.values), starts_at=_iso(spec.starts_at),
                 ends_at=_iso(spec.ends_at))
    return found


async def _known_product(session: AsyncSession, shop_id: ShopId, platform_id: str) -> bool:
    stmt = select(Product.id).where(Product.shop_id == shop_id, Product.platform_id == platform_id,
                                    Product.deleted.is_(False))
    return (await session.scalar(stmt.limit(1))) is not None


async def _collections(session: AsyncSession, shop_id: ShopId,
                       refs: tuple[str, ...]) -> tuple[str, ...]:
    """Each collection named by platform id or handle, as its platform id."""
    stmt = select(Collection.platform_id, Collection.handle).where(
        Collection.shop_id == shop_id,
        or_(Collection.platform_id.in_(refs), Collection.handle.in_(refs)))
    rows = (await session.execute(stmt)).all()
    by_ref = {**{h: p for p, h in rows if h}, **{p: p for p, _ in rows}}
    if any(ref not in by_ref for ref in refs):
        raise InvalidInput("values: names a collection the shop's catalog does not have")
    return tuple(dict.fromkeys(by_ref[ref] for ref in refs))


async def _known_values(session: AsyncSession, shop_id: ShopId, field: str,
                        values: tuple[str, ...]) -> None:
    """Every value is a tag, vendor or product type of one of the shop's products
    (compared without case)."""
    wanted = {v.casefold() for v in values}
    live = (Product.shop_id == shop_id, Product.deleted.is_(False))
    if field == TAG:
        found: set[str] = set()
        for tags in await session.scalars(select(Product.tags).where(*live)):
            found.update(t.casefold() for t in tags or () if isinstance(t, str))
            if wanted <= found:
                return
    else:
        column = Product.vendor if field == VENDOR else Product.product_type
        stmt = select(column).where(*live, func.lower(column).in_(
            [v.lower() for v in values])).distinct()
        found = {v.casefold() for v in await session.scalars(stmt) if v}
    if not wanted <= found:
        what = {TAG: "tag", VENDOR: "vendor", PRODUCT_TYPE: "product type"}[field]
        raise InvalidInput(f"values: names a {what} no product of the shop has")


async def checked(session: AsyncSession, shop_id: ShopId, spec: RuleSpec) -> RuleSpec:
    """``spec`` within its bounds and naming only what the shop's catalog has."""
    spec = checked_spec(spec)
    if spec.kind == PIN:
        assert spec.product_id is not None
        if not await _known_product(session, shop_id, spec.product_id):
            raise InvalidInput("productId: not a product of the shop's catalog")
    elif spec.field == COLLECTION:
        spec = replace(spec, values=await _collections(session, shop_id, spec.values))
    elif spec.field in (TAG, VENDOR, PRODUCT_TYPE):
        await _known_values(session, shop_id, spec.field, spec.values)
    return spec


def _fill(rule: Rule, spec: RuleSpec) -> None:
    for name in SPEC_COLUMNS:
        setattr(rule, name, getattr(spec, name))
    rule.values = list(spec.values)


async def _audit(session: AsyncSession, shop_id: ShopId, rule_id: int, action: str, actor: str,
                 before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    session.add(RuleAudit(shop_id=shop_id, rule_id=rule_id, action=action, actor=actor,
                          at=utcnow(), before=before, after=after))
    await session.flush()


async def create_rule(session: AsyncSession, shop_id: ShopId, spec: RuleSpec,
                      actor: str) -> Rule:
    spec = await checked(session, shop_id, spec)
    count = await session.scalar(select(func.count(Rule.id)).where(Rule.shop_id == shop_id))
    if (count or 0) >= MAX_RULES_PER_SHOP:
        raise InvalidInput(f"rules: a shop has at most {MAX_RULES_PER_SHOP} rules; delete one first")
    rule = Rule(shop_id=shop_id)
    _fill(rule, spec)
    session.add(rule)
    await session.flush()
    await _audit(session, shop_id, rule.id, CREATED, actor, None, rule_json(rule))
    return rule


async def get_rule(session: AsyncSession, shop_id: ShopId, rule_id: int) -> Rule:
    rule = await session.scalar(select(Rule).where(Rule.shop_id == shop_id, Rule.id == rule_id))
    if rule is None:
        raise NotFound("no such rule")
    return rule


async def update_rule(session: AsyncSession, shop_id: ShopId, rule_id: int, spec: RuleSpec,
                      actor: str) -> Rule:
    """The rule replaced by ``spec`` (every field)."""
    rule = await get_rule(session, shop_id, rule_id)
    spec = await checked(session, shop_id, spec)
    before = rule_json(rule)
    _fill(rule, spec)
    rule.updated_at = utcnow()
    await session.flush()
    await _audit(session, shop_id, rule.id, UPDATED, actor, before, rule_json(rule))
    return rule


async def delete_rule(session: AsyncSession, shop_id: ShopId, rule_id: int, actor: str) -> None:
    rule = await get_rule(session, shop_id, rule_id)
    before = rule_json(rule)
    await session.delete(rule)
    await session.flush()
    await _audit(session, shop_id, rule_id, DELETED, actor, before, None)


async def list_rules(session: AsyncSession, shop_id: ShopId,
                     placement: str | None = None) -> list[Rule]:
    """The shop's rules (those that act on ``placement``, with the rules of every placement,
    when given), by priority then age."""
    stmt = select(Rule).where(Rule.shop_id == shop_id)
    if placement is not None:
        stmt = stmt.where(or_(Rule.placement == placement, Rule.placement.is_(None)))
    return list(await session.scalars(stmt.order_by(Rule.priority.desc(), Rule.id)))


async def audit_entries(session: AsyncSession, shop_id: ShopId, first: int = 50) -> list[RuleAudit]:
    """The shop's latest rule changes, newest first."""
    if not 1 <= first <= MAX_AUDIT_PAGE:
        raise InvalidInput(f"first: must be from 1 to {MAX_AUDIT_PAGE}")
    stmt = select(RuleAudit).where(RuleAudit.shop_id == shop_id).order_by(RuleAudit.id.desc())
    return list(await session.scalars(stmt.limit(first)))
