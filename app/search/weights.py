"""The search blend's weights, as tuned by ``affinity evaluate --task search --tune``."""

import json
from pathlib import Path

from app.search.service import RerankWeights

WEIGHTS_FILE = Path(__file__).with_name("weights.json")


def load_search_weights(path: Path = WEIGHTS_FILE) -> RerankWeights:
    if not path.is_file():
        return RerankWeights()
    raw = json.loads(path.read_text())
    return RerankWeights(prior=raw["prior"], semantic=raw["semantic"], personal=raw["personal"])
