"""kubeconform backend: runs the binary over the schema folder and reads its -output json."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kkpgen.validate.finding import Finding, environment_error, json_path
from kkpgen.validate.tree import relative

# santhosh-tekuri/jsonschema messages: v6 (kubeconform 0.7) "additional properties 'x' not
# allowed", "missing property 'x'"; v5 (kubeconform 0.6) "additionalProperties 'x' not
# allowed", "missing properties: 'x'"
_UNKNOWN = re.compile(r"^additional ?propert(?:y|ies) (.+) not allowed$", re.IGNORECASE)
_MISSING = re.compile(r"^missing propert(?:y|ies):? (.+)$", re.IGNORECASE)
_NO_SCHEMA = re.compile(r"^could not find schema for (.+)$")
_QUOTED = re.compile(r"'([^']*)'")
# kubeconform lists only the causes one level below the object (validationErrors). In these
# schemas every field past the top is reached through a $ref, so those causes are the $refs
# themselves: "doesn't validate with '/$defs/...'" (0.6, jsonschema v5) or "validation
# failed" (0.7, v6). What failed below is only in msg: 0.6 names the first failure,
#   jsonschema: '<pointer>' does not validate with <url>#<keyword path>: <message>
# 0.7 every one, its newlines turned into spaces: ... - at '<pointer>': <message> - at ...
_REF_CAUSE = re.compile(r"^(?:doesn't validate with '.*'|validation failed)$")
_POINTER = r"'((?:[^'\\]|\\.)*)'"  # quoted as Go's %q, with ' escaped
_FIRST_FAILURE = re.compile(rf"jsonschema: {_POINTER} does not validate with .+?#\S*: (.+)$", re.S)
_EACH_FAILURE = re.compile(rf"(?:^|\s)- at {_POINTER}: (.*?)(?=\s+- at '|$)", re.S)
_VIA_BUILTIN = " (kubeconform names no field below; `kkpgen validate OUT --backend builtin` does)"
_CHUNK = 2000  # files per kubeconform run
_TIMEOUT = 600  # seconds; a hung binary must not hang CI forever
_HINT = "install kubeconform >= 0.6 (github.com/yannh/kubeconform/releases), or --backend builtin"


@dataclass(frozen=True, slots=True)
class KubeconformBackend:
    executable: str
    name: str = "kubeconform"

    def validate(self, files: Sequence[Path], *, root: Path, schema_dir: Path) -> list[Finding]:
        if not files:
            return []
        output: list[Mapping[str, object]] = []
        for start in range(0, len(files), _CHUNK):  # stay far below the OS argv size limit
            output.extend(self._run(files[start : start + _CHUNK], schema_dir=schema_dir))
        # kubeconform echoes each file name as it was given on the command line
        names = {str(path): relative(path, root) for path in files}
        findings: list[Finding] = []
        for result in output:
            filename = _text(result, "filename")
            findings.extend(self._findings(result, file=names.get(filename, filename)))
        return findings

    def command(self, files: Sequence[Path], *, schema_dir: Path) -> list[str]:
        # a local path template, never a URL, and no -ignore-missing-schemas: a kind without
        # a schema is an error, as in the builtin backend
        location = f"{schema_dir.resolve()}/{{{{ .ResourceKind }}}}{{{{ .KindSuffix }}}}.json"
        head = [self.executable, "-strict", "-summary=false", "-output", "json"]
        # "--": a file under a tree named "-out" is a file, not a flag (Go's flag package)
        return [*head, "-schema-location", location, "--", *(str(f) for f in files)]

    def _run(self, files: Sequence[Path], *, schema_dir: Path) -> list[Mapping[str, object]]:
        try:
            done = subprocess.run(
                self.command(files, schema_dir=schema_dir),
                capture_output=True,
                text=True,
                check=False,
                timeout=_TIMEOUT,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise environment_error(
                "validate.kubeconform.unusable",
                message=f"cannot run {self.executable}: {error}",
                hint=_HINT,
            ) from error
        resources = _parse(done.stdout) if done.returncode in {0, 1} else None
        if resources is None or (done.returncode == 1 and not resources):
            detail = (done.stderr or done.stdout).strip()[:500] or "no output"
            raise environment_error(
                "validate.kubeconform.failed",
                message=f"{self.executable} exited with {done.returncode}: {detail}",
                hint=_HINT,
            )
        return resources

    def _findings(self, result: Mapping[str, object], *, file: str) -> Iterator[Finding]:
        if result.get("status") not in {"statusInvalid", "statusError"}:
            return
        kind, name = _text(result, "kind"), _text(result, "name")
        errors = failures(result)
        for error in errors:
            for field_path, message in describe(error):
                yield Finding(file, kind, name, message, field_path, self.name)
        if not errors:
            yield Finding(file, kind, name, _message(result), "", self.name)


def failures(result: Mapping[str, object]) -> list[Mapping[str, object]]:
    """validationErrors, each $ref cause replaced by the failures below it that msg names."""
    listed = result.get("validationErrors")
    causes = [e for e in listed if isinstance(e, Mapping)] if isinstance(listed, list) else []
    named = _named_failures(_text(result, "msg"))
    if not causes:
        return list(named)
    found: list[Mapping[str, object]] = []
    for cause in causes:
        if not _REF_CAUSE.match(_text(cause, "msg")):
            found.append(cause)
            continue
        below = [f for f in named if _within(_text(f, "path"), _text(cause, "path"))]
        unseen = [f for f in below if f not in causes]
        found.extend(unseen or [{**cause, "msg": _text(cause, "msg") + _VIA_BUILTIN}])
    return found


def _named_failures(message: str) -> list[Mapping[str, object]]:
    """The failures msg names (see _FIRST_FAILURE, _EACH_FAILURE), without $ref causes."""
    first = _FIRST_FAILURE.search(message)
    pairs = [first.groups()] if first else _EACH_FAILURE.findall(message)
    return [
        {"path": pointer.replace("\\'", "'"), "msg": text.strip()}
        for pointer, text in pairs
        if not _REF_CAUSE.match(text.strip())
    ]


def _within(pointer: str, parent: str) -> bool:
    return pointer == parent or pointer.startswith(parent + "/")


def describe(error: Mapping[str, object]) -> Iterator[tuple[str, str]]:
    """(field, message) like the builtin backend: unknown/missing fields name the field."""
    parent = pointer_to_path(_text(error, "path"))
    message = _text(error, "msg")
    for pattern, wording in ((_UNKNOWN, "unknown field"), (_MISSING, "missing required field")):
        match = pattern.match(message)
        if match:
            for key in _QUOTED.findall(match[1]):
                yield (f"{parent}.{key}" if parent else key), f"{wording} {key!r}"
            return
    yield parent, message


def pointer_to_path(pointer: str) -> str:
    """JSON pointer "/spec/containers/0/image" → "spec.containers[0].image"."""
    parts = (raw.replace("~1", "/").replace("~0", "~") for raw in pointer.split("/")[1:])
    return json_path([int(part) if part.isdigit() else part for part in parts])


def _message(result: Mapping[str, object]) -> str:
    message = _text(result, "msg")
    match = _NO_SCHEMA.match(message)
    if match:  # same wording as the builtin backend
        return f"no schema for {_text(result, 'version')}/{match[1]}"
    return message


def _parse(stdout: str) -> list[Mapping[str, object]] | None:
    try:
        document = json.loads(stdout)
    except ValueError:
        return None
    resources = document.get("resources") if isinstance(document, dict) else None
    if not isinstance(resources, list):
        return None
    return [r for r in resources if isinstance(r, Mapping)]


def _text(mapping: Mapping[str, object], key: str) -> str:
    value = mapping.get(key)
    return value if isinstance(value, str) else ""
