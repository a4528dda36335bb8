"""JSON Schema (draft 2020-12) of the spec files, generated from the input models."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, JsonValue, TypeAdapter

from kkpgen.models.addon import Addon
from kkpgen.models.cluster import Cluster
from kkpgen.models.kubermatic import KubermaticConfiguration

DRAFT = "https://json-schema.org/draft/2020-12/schema"

SpecDocument = Annotated[Cluster | Addon | KubermaticConfiguration, Field(discriminator="kind")]


def spec_schema() -> dict[str, JsonValue]:
    """One schema for every document of kubermatic.yaml and clusters/*.yaml (oneOf by kind)."""
    generated = TypeAdapter(SpecDocument).json_schema(by_alias=True, mode="validation")
    return {
        "$schema": DRAFT,
        "title": "kkpgen spec document (KKP Cluster, Addon, KubermaticConfiguration)",
        **generated,
    }
