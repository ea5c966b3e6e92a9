"""Settings of the recommendation engine (``AFFINITY_ENGINE_*`` environment variables)."""

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.events.types import Consent
from app.ranking.rules import RuleSettings


class EngineSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AFFINITY_ENGINE_", env_file=".env",
                                      extra="ignore")

    models_dir: Path | None = Field(
        default=None, description="Folder of model artefacts (default: <data_dir>/models).")
    retrain_hours: float = Field(
        default=24.0, ge=0, description="Retrain each shop's model this often (0: never).")
    weights_file: Path | None = Field(
        default=None, description="Blend weights JSON (default: the tuned weights shipped).")
    assume_consent: bool = Field(
        default=False, description=(
            "Consent for events that carry none (analytics and personalization alike). Off: "
            "such an event shapes only the live session, unpersonalized, and is not stored; "
            "turn on only where consent is collected before any event is sent."))
    session_ttl_seconds: float = Field(default=1800.0, gt=0,
                                       description="How long a live session is remembered.")
    exclude_recent_purchases_days: int = Field(
        default=30, ge=0, description="Hide non-replenishable products bought within this "
                                      "many days (0: never hide).")
    replenishable_rate: float = Field(
        default=0.02, ge=0, le=1, description="Repeat rate from which a product counts as "
                                              "replenishable.")
    max_per_vendor: int = Field(default=4, ge=1, description="Per 10 items shown.")
    max_per_product_type: int = Field(default=5, ge=1, description="Per 10 items shown.")
    exploration_share: float = Field(
        default=0.1, ge=0, le=0.5, description="Share of slots for new or never-bought "
                                               "products, placed last.")
    exploration: Literal["fixed", "thompson"] = Field(
        default="fixed", description=(
            "Which fresh products fill the exploration slots: `fixed`, the best-scored ones; "
            "`thompson`, drawn among the best-scored ten per slot by Thompson sampling on "
            "each product's impressions and clicks (see docs/exploration.md)."))
    exploration_refresh_seconds: float = Field(
        default=10.0, gt=0, description="With `thompson`: how often a server process reads "
                                        "the impressions and clicks stored since its last read.")

    def rules(self) -> RuleSettings:
        return RuleSettings(self.exclude_recent_purchases_days, self.replenishable_rate,
                            self.max_per_vendor, self.max_per_product_type,
                            self.exploration_share)

    def consent(self) -> Consent:
        return Consent(self.assume_consent, self.assume_consent)
