"""Index and model versions shared between machines through a store (``artefact_store``)."""
