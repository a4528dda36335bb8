"""Built-in backend: python-jsonschema over the kubeconform-layout schema folder, offline."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator, ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

from kkpgen.validate.finding import Finding, environment_error, json_path
from kkpgen.validate.schemas import schema_file_name
from kkpgen.validate.tree import read_documents, relative, yaml_problem

_MAX_MESSAGE = 240  # jsonschema quotes the whole offending value; keep the line readable


@dataclass(frozen=True)
class BuiltinBackend:
    """Compiles each schema file once per run; the cache is per instance, not global."""

    name: str = "builtin"
    _validators: dict[Path, Validator | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def validate(self, files: Sequence[Path], *, root: Path, schema_dir: Path) -> list[Finding]:
        findings: list[Finding] = []
        for path in files:
            findings.extend(self._check_file(path, root=root, schema_dir=schema_dir))
        return findings

    def _check_file(self, path: Path, *, root: Path, schema_dir: Path) -> Iterator[Finding]:
        file = relative(path, root)
        try:
            documents = read_documents(path)
        except yaml.YAMLError as error:
            yield Finding(file, "", "", f"cannot parse YAML: {yaml_problem(error)}", "", self.name)
            return
        except (OSError, UnicodeDecodeError) as error:
            yield Finding(file, "", "", f"cannot read file: {error}", "", self.name)
            return
        for document in documents:
            yield from self._check_object(document, file=file, schema_dir=schema_dir)

    def _check_object(self, document: object, *, file: str, schema_dir: Path) -> Iterator[Finding]:
        if not isinstance(document, dict):
            yield Finding(file, "", "", "not a Kubernetes object: not a mapping", "", self.name)
            return
        api_version, kind, name = _identity(document)
        if not api_version or not kind:
            message = "not a Kubernetes object: apiVersion and kind must be strings"
            yield Finding(file, kind, name, message, "", self.name)
            return
        validator = self._validator(schema_dir / schema_file_name(api_version, kind))
        if validator is None:
            yield Finding(file, kind, name, f"no schema for {api_version}/{kind}", "", self.name)
            return
        for error in validator.iter_errors(document):
            for field_path, message in describe(error):
                yield Finding(file, kind, name, message, field_path, self.name)

    def _validator(self, schema_path: Path) -> Validator | None:
        if schema_path not in self._validators:
            self._validators[schema_path] = _compile(schema_path)
        return self._validators[schema_path]


def _compile(schema_path: Path) -> Validator | None:
    try:
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise environment_error(
            "validate.schemas.unreadable",
            message=f"cannot read schema {schema_path}: {error}",
            hint=f"delete the cache folder {schema_path.parent} and run again",
        ) from error
    cls = validator_for(schema, default=Draft202012Validator)
    return cls(schema)


def _identity(document: Mapping[str, object]) -> tuple[str, str, str]:
    api_version, kind = document.get("apiVersion"), document.get("kind")
    metadata = document.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    return (
        api_version if isinstance(api_version, str) else "",
        kind if isinstance(kind, str) else "",
        name if isinstance(name, str) else "",
    )


def describe(error: ValidationError) -> Iterator[tuple[str, str]]:
    """(field, message) pairs; unknown and missing fields name the field itself."""
    parent = tuple(error.absolute_path)
    instance = error.instance
    if error.validator == "additionalProperties" and isinstance(instance, Mapping):
        known = error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else {}
        for key in sorted(str(k) for k in instance if k not in known):
            yield json_path((*parent, key)), f"unknown field {key!r}"
    elif error.validator == "required" and isinstance(instance, Mapping):
        required = error.validator_value if isinstance(error.validator_value, list) else []
        for key in (str(k) for k in required if k not in instance):
            yield json_path((*parent, key)), f"missing required field {key!r}"
    else:
        message = error.message
        if len(message) > _MAX_MESSAGE:
            message = message[: _MAX_MESSAGE - 3] + "..."
        yield json_path(parent), message
