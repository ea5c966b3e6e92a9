"""The merchant's admin API (``POST /admin/graphql``): KPIs and experiments of one shop,
behind that shop's admin token; a schema and an endpoint apart from the storefront's."""
