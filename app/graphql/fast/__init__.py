"""The fast GraphQL path: shortcuts over graphql-core's and strawberry's internals.

Serving a large response is mostly GraphQL machinery, not ranking: graphql-core builds a
path, a resolve info and an awaitable check for each of the 100 × 11 scalar fields of a
list of 100 products, coerces a list variable while asking of its type at every item what
kind of type it is (a sixth of a ``trackEvents`` or ``rerankSearch`` request's CPU), and
strawberry resolves every field's type again for each input value (most of a
``trackEvents`` call's CPU time). Three shortcuts, each giving the same data and errors as
the plain path (the unit tests compare the two, and the GraphQL integration tests run with
the path on and off):

- ``execution``: plain fields (no resolver, no arguments) are planned once per operation
  and built directly (a resolver's list of them as a whole: 100 catalog products
  0.77 → 0.59 ms of CPU a request), without graphql-core's awaitable checks (100 items
  2,350–2,513 → 2,193–2,303 µs), and shared views once per selection;
- ``variables``: list variables coerced by a plan made once per variable of a parsed
  operation (``trackEvents`` in-process 5,033 → 5,459 events/s);
- ``inputs``: input types marked ``plain_input`` built straight from the coerced values.

They override graphql-core 3.3-series methods by their signatures and set strawberry
hooks, so ``pyproject.toml`` pins both libraries to the tested ranges, and ``compat`` lists
everything the path uses. The ``graphql_fast_path`` setting turns it off. With it on and a
library that lacks something, the schema runs on the plain path and a warning names what is
missing: the shortcuts only save time, so an upgrade outside the pins costs speed, not
service; ``tests/unit/test_graphql_fast_path_compat.py`` fails on the same sentences."""

import logging
from typing import Any

from app.graphql.fast.compat import problems
from app.graphql.fast.marks import plain_input, set_input_conversion, shared_view

log = logging.getLogger(__name__)

__all__ = ["plain_input", "shared_view", "use_fast_path"]


def use_fast_path(enabled: bool) -> type[Any] | None:
    """The execution context class for the schema about to be built (None: strawberry's
    own), with the conversion of ``plain_input`` types set to match (for the process)."""
    missing = problems() if enabled else ()
    if missing:
        log.warning("GraphQL fast path off: the installed graphql-core or strawberry-graphql "
                    "lacks what it uses (%s); install the versions pyproject.toml pins, or set "
                    "AFFINITY_GRAPHQL_FAST_PATH=false", "; ".join(missing))
    if not enabled or missing:
        set_input_conversion(None)
        return None
    # Imported only now: with a library that lacks what they use, their imports may fail.
    from app.graphql.fast.execution import PlainDataExecutionContext
    from app.graphql.fast.inputs import build_input

    set_input_conversion(build_input)
    return PlainDataExecutionContext
