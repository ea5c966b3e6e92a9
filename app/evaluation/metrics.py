"""HR@k, Recall@k, NDCG@k (binary gains, ideal = min(|target|, k)) and MRR."""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

K = 10


@dataclass
class MetricSums:
    hr: float = 0.0
    recall: float = 0.0
    ndcg: float = 0.0
    mrr: float = 0.0
    users: int = 0
    per_user: list[float] = field(default_factory=list)

    def add(self, ranked: Sequence[str], target: set[str], k: int = K) -> None:
        if not target:
            return
        top = ranked[:k]
        hits = [i for i, item in enumerate(top) if item in target]
        ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(target), k)))
        ndcg = sum(1.0 / math.log2(i + 2) for i in hits) / ideal
        first = next((i for i, item in enumerate(ranked) if item in target), None)
        self.hr += 1.0 if hits else 0.0
        self.recall += len(hits) / len(target)
        self.ndcg += ndcg
        self.mrr += 1.0 / (first + 1) if first is not None else 0.0
        self.users += 1
        self.per_user.append(ndcg)

    def summary(self) -> dict[str, float | int]:
        n = max(self.users, 1)
        return {"HR@10": round(self.hr / n, 4), "Recall@10": round(self.recall / n, 4),
                "NDCG@10": round(self.ndcg / n, 4), "MRR": round(self.mrr / n, 4),
                "users": self.users}
