"""Infrastructure under the domain stores: engines, sessions and the unit of work
(``database``), where the request path's reads and writes run (``reads``, ``writes``), and
the SQLite fast paths behind them (``prepared``). It imports no feature package."""
