"""The merchant console: server-rendered pages under ``/admin`` (log-in with the shop's
admin token, then a session cookie and a CSRF token on every change) over the same services
the admin API calls."""
