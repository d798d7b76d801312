"""Who may read and write each layer (Unity Catalog schema) of an environment: the profile's `access:`.

Principals are account groups (or users by e-mail, service principals by application ID: what Unity
Catalog's GRANT accepts). They are names, never credentials; the secret scan covers this section like
the rest of the profile. `operations/grants.py` turns the declaration into GRANT statements, and the
`apply_access_grants` job applies them (docs/environments.md, "Access control").
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from lakehouse.config.base import StrictModel

# The schemas of the asset graph (an asset key is [<dataset>, <schema>, <table>]). Declared here because the
# configuration layer cannot build the graph; platform_tests/operations/test_grants.py checks that this
# list is exactly the graph's schemas, so a new layer cannot go ungranted unnoticed.
LAYERS = ("bronze", "silver", "gold", "ml", "scoring", "reporting", "monitoring")
MAX_PRINCIPAL_LENGTH = 255


def validate_principal(name: str) -> str:
    """A principal is quoted with backticks in SQL (backticks doubled), so any printable text is safe;
    what is refused is what can only be a mistake: empty, padded, multi-line or control characters."""
    if not name or name != name.strip():
        raise ValueError(f"Principal {name!r}: must be non-empty, without leading or trailing spaces")
    if len(name) > MAX_PRINCIPAL_LENGTH or not name.isprintable():
        raise ValueError(f"Principal {name!r}: at most {MAX_PRINCIPAL_LENGTH} printable characters, on one line")
    return name


Principal = Annotated[str, AfterValidator(validate_principal)]


class LayerAccess(StrictModel):
    read: list[Principal] = Field(
        default_factory=list,
        description="Principals that may read the layer's tables: USE SCHEMA and SELECT on the schema.",
    )
    write: list[Principal] = Field(
        default_factory=list,
        description="Principals that may create, overwrite and delete from the layer's tables (the platform's "
        "writer): USE SCHEMA, SELECT, MODIFY and CREATE TABLE on the schema. Writing includes reading.",
    )

    @model_validator(mode="after")
    def _each_principal_once(self) -> LayerAccess:
        listed = [*self.read, *self.write]
        repeated = sorted({p for p in listed if listed.count(p) > 1})
        if repeated:
            raise ValueError(f"Principals listed twice (writing includes reading; list each once): {repeated}")
        return self


class AccessSettings(StrictModel):
    layers: dict[str, LayerAccess] = Field(
        description=f"Per layer (Unity Catalog schema; one of {', '.join(LAYERS)}): who may read and write it. "
        "A layer not listed gets no grants from here.",
    )

    @model_validator(mode="after")
    def _known_layers(self) -> AccessSettings:
        unknown = sorted(set(self.layers) - set(LAYERS))
        if unknown:
            raise ValueError(f"Unknown layers {unknown} in access.layers; the layers (schemas) are {list(LAYERS)}")
        return self

    def principals(self) -> list[str]:
        """Every principal named, once, sorted: each needs USE CATALOG to reach any schema."""
        return sorted({p for layer in self.layers.values() for p in (*layer.read, *layer.write)})
