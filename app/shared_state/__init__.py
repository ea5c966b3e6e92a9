"""Live state shared by every server process through Redis (when ``redis_url`` is set).

Each process keeps serving from its own memory; Redis carries what one process learns to the
others (sessions, version announcements) and counts what must be counted once for all (rate
limits). Redis going away never fails a request: the process goes on with what it has."""
