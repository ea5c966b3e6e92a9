"""Concerns of a whole process rather than of a feature: the garbage collector (``heap``),
numeric libraries' threads (``cpu``), values refreshed in the background (``refresh``) and
bounded caches (``lru``). It imports no feature package."""
