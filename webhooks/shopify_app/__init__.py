"""The Shopify app: one-click install through OAuth (authorization-code grant, offline
token), the webhook subscriptions it registers, and the backfill it starts.

The flow: ``GET /shopify/install?shop=`` sends the merchant to the shop's authorize page
with a signed, expiring, single-use state; ``GET /shopify/callback`` checks Shopify's
HMAC of the query, the state and the shop, exchanges the code for the shop's token,
stores it encrypted, registers the webhooks, writes the shop's storefront key into the
app's metafield (read by the theme app extension), turns the Web Pixel on and starts the
backfill."""
