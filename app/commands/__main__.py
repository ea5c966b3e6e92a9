"""``python -m app.commands``: the same as the ``affinity`` script."""

from app.commands import main

raise SystemExit(main())
