"""Search protocol of the evaluation harness on the Online Retail data.

For each held-out basket a query is one broad word from the descriptions of its items (a
word at least five products share); the candidates are the catalog products whose description
holds it, in an unpersonalized order (all match the one word, so by popularity), standing in for the storefront's search; the target is the
held-out basket. The original order, Affinity's reorder (the real serving path on a database
loaded through the ingestion code) and a reorder by ALS scores are measured in one run."""

import math
import random
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from app.datasets.online_retail import Basket

K = 10
MAX_CANDIDATES = 500
MIN_MATCHES = 5
STOP = {"AND", "THE", "FOR", "WITH", "OF", "IN", "SET", "DESIGN", "SMALL", "LARGE", "MINI",
        "JUMBO", "PACK", "BOX", "ASSORTED", "COLOUR", "COLOURS", "RED", "PINK", "BLUE", "GREEN",
        "WHITE", "BLACK", "IVORY", "PURPLE", "GOLD", "SILVER", "VINTAGE", "RETROSPOT"}


@dataclass(frozen=True)
class SearchCase:
    customer_id: str
    query: str
    candidates: list[str]
    target: frozenset[str]


def content_words(description: str) -> list[str]:
    words = re.findall(r"[A-Z]{3,}", description.upper())
    return [w for w in dict.fromkeys(words) if w not in STOP]


def build_cases(
    descriptions: dict[str, str],
    held_out: list[Basket],
    popularity: Callable[[str], float],
    seed: int = 7,
    per_basket: int = 1,
) -> list[SearchCase]:
    """``per_basket`` queries (distinct words) per basket: one to evaluate, more to fit on."""
    rng = random.Random(seed)
    words = {code: content_words(text) for code, text in descriptions.items()}
    postings: dict[str, set[str]] = defaultdict(set)
    for code, tokens in words.items():
        for token in tokens:
            postings[token].add(code)
    cases = []
    for basket in held_out:
        # A broad word (one that several products share), as a shopper types "bag" or "candle".
        choices = sorted({w for i in basket.items for w in words.get(i, [])
                          if len(postings[w]) >= MIN_MATCHES})
        if not choices:
            continue
        picked = [rng.choice(choices)] if per_basket == 1 else rng.sample(
            choices, min(per_basket, len(choices)))
        for query in picked:
            matched = postings[query]
            ordered = sorted(matched, key=lambda c: (-popularity(c), c))[:MAX_CANDIDATES]
            cases.append(SearchCase(basket.customer_id, query.lower(), ordered,
                                    frozenset(basket.items)))
    return cases


def hit_and_ndcg(ranked: list[str], case: SearchCase) -> tuple[float, float]:
    relevant = case.target & set(case.candidates)
    if not relevant:
        return 0.0, 0.0
    top = ranked[:K]
    gains = [1.0 / math.log2(i + 2) for i, item in enumerate(top) if item in relevant]
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), K)))
    return (1.0 if gains else 0.0), sum(gains) / ideal


def summarize(results: list[tuple[float, float]]) -> dict[str, float | int]:
    n = len(results)
    return {
        "HR@10": round(sum(r[0] for r in results) / n, 4) if n else 0.0,
        "NDCG@10": round(sum(r[1] for r in results) / n, 4) if n else 0.0,
        "queries": n,
    }
