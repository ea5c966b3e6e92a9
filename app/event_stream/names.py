"""The Redis names of one deployment's events stream."""

from dataclasses import dataclass

GROUP = "writers"
DEAD_LETTER_MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class StreamNames:
    key: str
    group: str = GROUP

    @property
    def dead_letters(self) -> str:
        """Where malformed entries are moved, for an operator to look at."""
        return self.key + ":dead"
