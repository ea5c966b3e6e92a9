"""One typed settings object, read from ``AFFINITY_*`` environment variables."""

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "all-MiniLM-L6-v2"


class Settings(BaseSettings):
    """Every setting of the server, the CLI and the background worker."""

    model_config = SettingsConfigDict(env_prefix="AFFINITY_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///./var/affinity.db",
        description="SQLAlchemy async URL: SQLite (aiosqlite) or PostgreSQL (asyncpg).",
    )
    database_pool_size: int = Field(
        default=20, ge=1, description=(
            "Database connections kept open by a server process; more concurrent requests "
            "wait for one (a connection opened and closed per request costs more than the "
            "query)."))
    sqlite_fast_paths: bool = Field(
        default=True, description=(
            "On a SQLite file, run the request path's small reads inline (lookups as prepared "
            "statements) and its writes on one writer thread; off, they go through the "
            "session as on PostgreSQL."))
    data_dir: Path = Field(
        default=Path("./var"), description="Folder for index files and model artefacts."
    )
    embedding_model: str = Field(
        default=DEFAULT_MODEL,
        description=(
            "sentence-transformers model: the packaged all-MiniLM-L6-v2 by default, "
            "or a local folder, or a model name already in the local cache (loaded offline)."
        ),
    )
    embedding_batch_size: int = Field(default=64, ge=1, description="Texts per model call.")
    embedding_backend: Literal[
        "torch", "onnx", "onnx-int8", "openvino", "openvino-int8", "auto"
    ] = Field(
        default="torch",
        description=(
            "Embedding runtime: `torch` (sentence-transformers), `onnx` (ONNX Runtime, fp32), "
            "`onnx-int8` (int8 for this CPU, used only if it agrees with fp32 at cosine "
            ">= 0.98; 1.6-4x `torch` by the CPU's int8 instructions), `openvino` (bfloat16 "
            "on CPUs that compute it, under the same agreement check; fp32 elsewhere) or "
            "`openvino-int8` (int8 calibrated by NNCF, under the same check; 3.3-3.7x `torch` "
            "on AVX-512 VNNI), or `auto`: the fastest of these for this CPU's instruction "
            "set (torch where it cannot be prepared). ONNX exports and quantized models are "
            "made offline on first use and kept under the data folder; vectors of every "
            "backend are interchangeable."
        ),
    )
    host: str = Field(default="127.0.0.1", description="Address the server listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port the server listens on.")
    allowed_hosts: list[str] = Field(
        default=["127.0.0.1", "localhost"], description=(
            "Host names the server answers to (the request's Host header); any other is a "
            "400, which defeats DNS rebinding. The host of `public_url` and `host` (unless a "
            "wildcard address) are added. A leading `*.` allows subdomains."))
    public_url: str | None = Field(
        default=None, description=(
            "The server's own origin as browsers see it (e.g. `https://api.example.com`): "
            "pages it serves may call /graphql and /collect. Unset: `http://<host>:<port>` "
            "and the same port on localhost and 127.0.0.1."))
    admin_token: SecretStr | None = Field(
        default=None, description=(
            "Operator token: `Authorization: Bearer <token>` on /health adds the details "
            "(backend, index, catalogs, webhook inbox). Unset: /health says only ok or error."))
    shopify_api_secret: SecretStr | None = Field(
        default=None, description=(
            "The Shopify app's API secret: verifies requests through the app proxy "
            "(/shopify/proxy/graphql, /shopify/proxy/collect), the OAuth install's callback "
            "and the embedded console's session tokens. Unset: the app proxy is off."))
    shopify_api_key: str | None = Field(
        default=None, max_length=255, description=(
            "The Shopify app's API key (client id): with `shopify_api_secret` and `public_url` "
            "it turns on the one-click install (GET /shopify/install?shop=) and the console "
            "embedded in the Shopify admin."))
    shopify_shop_url: str = Field(
        default="https://{shop}", max_length=255, description=(
            "The base of every Shopify URL of a shop (OAuth, Admin API); `{shop}` is the "
            "shop's myshopify.com domain."))
    annoy_trees: int = Field(default=50, ge=1, description="Trees per Annoy index.")
    annoy_search_k: int = Field(
        default=5000,
        description=(
            "Annoy search_k, nodes inspected per query (-1: n_trees * k). 5000 lifted "
            "recall@10 on the Online Retail catalog from 0.94 (-1) to 0.98 for ~0.2 ms a query."
        ),
    )
    index_rebuild_threshold: int = Field(
        default=200,
        ge=1,
        description="Rebuild a shop's index once this many products wait in the exact delta.",
    )
    catalog_refresh_seconds: float = Field(
        default=1.0,
        ge=0,
        description=(
            "Serving keeps each shop's catalog in memory: a product written by another "
            "process reaches shoppers within this many seconds (writes of this process at once)."
        ),
    )
    worker_enabled: bool = Field(
        default=True, description="Run the embedding/index worker inside the server process."
    )
    worker_interval_seconds: float = Field(
        default=1.0, gt=0, description="Pause between two passes of the background worker."
    )
    served_list_retention_days: int = Field(
        default=90,
        ge=0,
        description=(
            "Served lists (what was shown under each recommendationId) older than this many "
            "days are deleted by the worker, once an hour; 0 keeps them forever."
        ),
    )
    webhook_processor_enabled: bool = Field(
        default=True, description="Drain the webhook inbox inside the server process."
    )
    webhook_poll_seconds: float = Field(
        default=0.5, gt=0, description="Longest pause between two looks at the webhook inbox."
    )
    webhook_max_attempts: int = Field(
        default=8, ge=1, description="Tries of a webhook delivery before it is parked as failed."
    )
    webhook_max_body_bytes: int = Field(
        default=5 * 1024 * 1024, ge=1024, description="Largest webhook body accepted (bytes)."
    )
    webhook_max_age_hours: float = Field(
        default=50.0,
        ge=0,
        description=(
            "Webhook deliveries the platform dated (X-Shopify-Triggered-At) longer ago than "
            "this are refused with 400 and kept as rejections; 0 accepts any age. The default "
            "outlasts Shopify's retries (8 tries over 4 h; 19 over 48 h on older schedules) "
            "with room for clock skew."
        ),
    )
    shopify_api_version: str = Field(
        default="2025-07", description="Shopify Admin API version used by `affinity sync`."
    )
    search_unavailable: Literal["sink", "drop"] = Field(
        default="sink",
        description="rerankSearch: move unavailable products to the end (sink) or drop them.",
    )
    graphql_max_depth: int = Field(default=10, ge=1, description="Maximum query depth.")
    graphql_max_aliases: int = Field(default=15, ge=1, description="Maximum aliases per query.")
    graphql_max_tokens: int = Field(default=2000, ge=1, description="Maximum tokens per query.")
    graphql_max_nodes: int = Field(
        default=2000, ge=1, description="Maximum syntax nodes of a parsed query (checked "
        "before validation).")
    graphql_max_fields: int = Field(
        default=1000, ge=1, description="Maximum fields a query selects with its fragments "
        "expanded, each fragment counted once per spread (checked before validation).")
    graphql_max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest POST /graphql body accepted (bytes).")
    graphql_fast_path: bool = Field(
        default=True, description="Build plain GraphQL data, list variables and event inputs "
        "by shortcuts over graphql-core's and strawberry's internals (same results; off: their "
        "plain path). On with versions outside the pinned ranges, the plain path is used and a "
        "warning says why.")
    graphql_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Time one GraphQL request may take before it is "
        "stopped with a TIMEOUT error.")
    edge_cache_max_age_seconds: int = Field(
        default=60, ge=0, le=86400, description="How long CDNs and browsers may keep a "
        "non-personalized answer of GET /graphql (a persisted query): its Cache-Control "
        "max-age.")
    edge_cache_stale_seconds: int = Field(
        default=300, ge=0, le=86400, description="How long past max-age a CDN may serve such "
        "an answer while it fetches a new one: its Cache-Control stale-while-revalidate.")
    collect_max_body_bytes: int = Field(
        default=512 * 1024, ge=1024, description="Largest POST /collect body accepted (bytes).")
    rate_limit_key_requests_per_minute: int = Field(
        default=60_000, ge=0, description="Requests per storefront key and minute on /graphql "
        "and /collect (bursts up to a minute's worth; 0: no limit). Over it: 429.")
    rate_limit_address_requests_per_minute: int = Field(
        default=6_000, ge=0, description="Requests per client address and minute on /graphql "
        "and /collect (bursts up to a minute's worth; 0: no limit). Over it: 429.")
    rate_limit_key_events_per_minute: int = Field(
        default=60_000, ge=0, description="Events stored per storefront key and minute "
        "(trackEvents and /collect; 0: no limit). Over it: 429.")
    rate_limit_address_events_per_minute: int = Field(
        default=6_000, ge=0, description="Events stored per client address and minute "
        "(trackEvents and /collect; 0: no limit). Over it: 429.")
    rate_limit_visitor_events_per_minute: int = Field(
        default=600, ge=0, description="Events stored per visitor and minute (trackEvents "
        "and /collect; 0: no limit). Over it: 429.")
    shutdown_timeout_seconds: int = Field(
        default=5, ge=1, description="`affinity serve`: longest wait for open requests on "
        "shutdown (SIGTERM) before they are cut.")
    demo_mode: bool = Field(
        default=False, description=(
            "Demo mode: GraphiQL on GET /graphql and the demo storefront at /demo (which hands "
            "out the demo shop's storefront key). `make run` turns it on; off in production."))
    secret_key: SecretStr | None = Field(
        default=None, description=(
            "Key that encrypts secrets at rest (webhook secrets, platform tokens, customer "
            "token secrets): a Fernet key or any passphrase. Unset: a key file `secret.key` "
            "under the data folder, made on first use with mode 0600."))
    attribution_click_window_days: float = Field(
        default=7, gt=0, le=90, description=(
            "Click-through window: an order by the shopper who clicked a recommended product "
            "within these days is attributed to the list (when the cart carried no id)."))
    attribution_view_window_days: float = Field(
        default=1, gt=0, le=30, description=(
            "View-through window: an order of a product shown (not clicked) within these "
            "days is attributed as view-through, reported apart from clicks."))
    holdout_share: float = Field(
        default=0.05, ge=0, le=0.5, description=(
            "Share of each shop's shoppers who always get the non-personalized baseline (the "
            "global holdout the lift is measured against); a shop's own setting overrides it."))
    rollup_interval_seconds: float = Field(
        default=1.0, gt=0, le=60, description=(
            "How often a server (or the worker) folds new events, served lists and orders "
            "into the KPI rollups."))
    metrics_public: bool = Field(
        default=False, description=(
            "Serve GET /metrics (Prometheus) to anyone; off, only with the operator token "
            "(AFFINITY_ADMIN_TOKEN)."))
    redis_url: str | None = Field(
        default=None, max_length=2048, description=(
            "Redis shared by every server and worker process (e.g. `redis://127.0.0.1:6379/0`): "
            "live sessions, live trend counters, rate-limit buckets and cached answers are "
            "shared, new index and model versions announced. Unset: each process keeps its "
            "own (one process, the embedded default)."))
    event_stream: bool = Field(
        default=False, description=(
            "Storefront events go through a Redis stream: servers validate and append them "
            "there (the live session still hears of them at once) and event writers "
            "(`affinity worker`, `affinity events write`) store them in the database. Needs "
            "`redis_url`. While Redis is down, servers write events directly."))
    event_stream_key: str = Field(
        default="affinity:events", min_length=1, max_length=200, description=(
            "The Redis key of the events stream (one per deployment); malformed entries are "
            "moved to `<key>:dead`."))
    event_stream_max_entries: int = Field(
        default=100_000, ge=1_000, le=100_000_000, description=(
            "Approximate cap on the stream's entries (XADD MAXLEN ~; an entry is one batch "
            "of at most 50 events): the oldest are trimmed if writers fall this far behind."))
    event_stream_read_entries: int = Field(
        default=64, ge=1, le=1_000, description=(
            "Stream entries an event writer reads and stores in one transaction."))
    event_stream_block_seconds: float = Field(
        default=1.0, gt=0, le=30, description=(
            "Longest wait of an event writer for new entries (XREADGROUP BLOCK)."))
    event_stream_claim_idle_seconds: float = Field(
        default=30.0, ge=1, le=3600, description=(
            "Entries read but not acknowledged for this long (their writer died or failed) "
            "are claimed by another writer (XAUTOCLAIM)."))
    artefact_store: Literal["local", "postgres"] = Field(
        default="local", description=(
            "Where servers get new index and model versions: `local`, the data folder the "
            "builder writes (one machine or a shared filesystem); `postgres`, the database "
            "(needs a PostgreSQL `database_url`): each version is published there in 8 MB "
            "chunks with a SHA-256 per file, and every server fetches the newest into its "
            "own data folder (docs/artefacts.md)."))
    artefact_keep_versions: int = Field(
        default=3, ge=2, le=100, description=(
            "With `artefact_store=postgres`: published versions kept per shop and kind "
            "(index, model); older ones are deleted after each publish."))
    artefact_poll_seconds: float = Field(
        default=5.0, gt=0, le=3600, description=(
            "With `artefact_store=postgres`: how often a process looks for newer published "
            "versions (one query for all shops); an announcement over Redis triggers a look "
            "at once."))
    log_level: str = Field(default="INFO", description="Python logging level.")

    @field_validator("event_stream")
    @classmethod
    def _stream_needs_redis(cls, on: bool, info: ValidationInfo) -> bool:
        if on and not info.data.get("redis_url"):
            raise ValueError("AFFINITY_EVENT_STREAM needs AFFINITY_REDIS_URL")
        return on

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "indexes"
