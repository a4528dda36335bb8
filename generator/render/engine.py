"""The one Jinja2 environment, and ChartRelease -> Manifests (template errors as Diagnostics)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import yaml

from kkpgen.diagnostics import Diagnostic, KkpgenError, Location
from kkpgen.kkp.charts import CHARTS_DIR, LIBRARY, SEED_TEMPLATES, Chart, ChartFiles
from kkpgen.render import memo as memo_module
from kkpgen.render.gojson import go_config_hash
from kkpgen.render.goyaml import drop_key, go_yaml, merge_override
from kkpgen.render.manifest import (
    CRD_SYNC_WAVE,
    SYNC_WAVE,
    CanonicalObject,
    Destination,
    Manifest,
    canonical_text,
    dump_yaml,
)
from kkpgen.render.memo import Path as MemoPath
from kkpgen.render.memo import (
    Recording,
    TemplateMemo,
    TrackingEnvironment,
    memoizable,
    root_paths,
)
from kkpgen.render.plan import ChartRelease
from kkpgen.render.respan import Respans, Trace
from kkpgen.source import fastload
from kkpgen.source.cache import cache_descriptor, kept
from kkpgen.source.private import read_private, write_private


class TemplateFailure(Exception):
    """Raised by the `required` filter, like Helm's `required`."""


def _required(value: object, message: str = "a required value is missing") -> object:
    # Undefined first: comparing a StrictUndefined raises Jinja's error, not the chart's.
    if isinstance(value, jinja2.Undefined) or value is None or value == "":
        raise TemplateFailure(message)
    return value


def _toyaml(value: object) -> str:
    """YAML for a value, safe wherever a template puts it: a string is one JSON-quoted line
    (no newline, `---` or `key:` of it can start a document or a key); numbers, booleans and
    null are plain; objects and lists are block YAML, for `| indent(n)`."""
    if value is None or isinstance(value, str | int):  # bool is an int: true/false
        return json.dumps(value)
    return dump_yaml(value).removesuffix("\n...\n").rstrip("\n")


_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9:/._-]*")


def _plain(value: object) -> str:
    """A string bare where YAML reads it back as that same string (a URL, a CIDR), as KKP's
    addon templates write it; otherwise JSON-quoted like `quote`."""
    text = str(value)
    # Read back as the template's output is read (libyaml): PyYAML's pure-Python safe_load
    # took 60 us a value, 5% of a fleet's render.
    if _PLAIN.fullmatch(text) and list(fastload.load_all(text)) == [text]:
        return text
    return json.dumps(text)


# What a value written into a config language must match (OpenVPN's config, CoreDNS's
# Corefile, a command line, JSON in a string): ASCII names, addresses, ports and paths. No
# space, quote, brace, `#`, `;` or newline, so it cannot end its token or start another
# (issue 14, class 1). The checks refuse such values at the spec's file:line:field first;
# this stops one that a future field would let through.
_TOKEN = re.compile(r"[A-Za-z0-9._:/,\[\]-]+")


def _token(value: object) -> str:
    text = str(value)
    if isinstance(value, bool) or not _TOKEN.fullmatch(text):
        raise TemplateFailure(
            f"{text!r} cannot be written into a config file: only ASCII letters, digits and"
            " . _ : / , [ ] - are allowed there"
        )
    return text


def _compactjson(value: object) -> str:
    """JSON without spaces (a command line's JSON argument); every string is escaped."""
    return json.dumps(value, separators=(",", ":"))


def _nindent(text: str, width: int) -> str:
    return "\n" + jinja2.filters.do_indent(str(text), width, first=True)


def _quote(value: object) -> str:
    return json.dumps(str(value))  # a JSON string is a valid double-quoted YAML string


def _b64enc(value: object) -> str:
    return base64.b64encode(str(value).encode()).decode()


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept between runs in $XDG_CACHE_HOME/kkpgen/templates: compiling the
    charts is most of a one-cluster render. Jinja checks each entry against the template's
    source. Bytecode is code: it is read only from a private folder (source/private.py),
    through no link; a cache that cannot be trusted, read or written is simply not used."""

    def _folder(self) -> int | None:
        return cache_descriptor("templates")

    def get_bucket(
        self, environment: jinja2.Environment, name: str, filename: str | None, source: str
    ) -> jinja2.bccache.Bucket:
        """Jinja keys an entry by the template's name and checks its source, but the code
        compiled also follows the environment's syntax and whitespace options: code compiled
        under other options (another kkpgen's) is another entry, never loaded for these."""
        named = f"{self.get_cache_key(name, filename)}\0{_compile_options(environment)!r}"
        key = hashlib.sha256(named.encode()).hexdigest()
        bucket = jinja2.bccache.Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        folder = self._folder()
        if folder is None:
            return
        try:
            raw = read_private(folder, f"{bucket.key}.jinja", _BYTECODE_LIMIT)
        finally:
            os.close(folder)
        if raw is not None:
            bucket.bytecode_from_string(raw)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        folder = self._folder()
        if folder is None:
            return
        try:
            with contextlib.suppress(OSError):  # a full disk: the next run compiles again
                write_private(folder, f"{bucket.key}.jinja", bucket.bytecode_to_string())
        finally:
            os.close(folder)


_BYTECODE_LIMIT = 16 << 20  # bytes; a chart template compiles to a few hundred kilobytes


def _compile_options(env: jinja2.Environment) -> tuple[object, ...]:
    """What the code Jinja compiles a template to depends on, besides its source."""
    return (
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
        env.optimized,
        env.is_async,
        env.finalize is not None,
        bool(env.autoescape),
    )


def build_environment(root: Path = CHARTS_DIR) -> TrackingEnvironment:
    """The one environment of a run: templates compile once and are reused for every cluster."""
    env = TrackingEnvironment(
        loader=jinja2.FileSystemLoader(str(root)),
        bytecode_cache=_CompiledTemplates(),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        cache_size=-1,  # a plain dict: the LRU's bookkeeping cost 1 s per 1,000 clusters
    )
    env.filters.update(
        toyaml=_toyaml,
        nindent=_nindent,
        quote=_quote,
        plain=_plain,
        required=_required,
        b64enc=_b64enc,
        token=_token,
        compactjson=_compactjson,
        go_config_hash=go_config_hash,
        go_yaml=go_yaml,
        merge_override=merge_override,
        drop_key=drop_key,
    )
    env.globals["files"] = ChartFiles(root)
    return env


def merge_values(
    defaults: Mapping[str, object], overrides: Mapping[str, object]
) -> dict[str, object]:
    """A chart's values.yaml with an Addon's spec.variables over it, map by map."""
    merged = dict(defaults)
    for key, value in overrides.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = merge_values(current, value)
        else:
            merged[key] = value
    return merged


def _template_line(error: BaseException, name: str) -> int | None:
    if isinstance(error, jinja2.TemplateSyntaxError):
        return error.lineno
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.endswith(name)]
    return frames[-1].lineno if frames else None


def _failure(
    release: ChartRelease, template: str, error: BaseException, message: str
) -> KkpgenError:
    path = f"charts/{release.chart}/templates/{template}"
    return KkpgenError(
        [
            Diagnostic(
                "render.template",
                Location(path, _template_line(error, template)),
                "",
                f"rendering {release.chart} for cluster {release.cluster.name!r} failed: {message}",
                "fix the template, or the value it reads",
                cluster=release.cluster.name,
            )
        ]
    )


def _documents(
    text: str, scalars: list[fastload.Scalars] | None = None
) -> Iterator[dict[str, object]]:
    for doc in fastload.load_all(text, scalars=scalars):
        if doc is not None:
            if not isinstance(doc, dict):
                raise ValueError(f"a document is a {type(doc).__name__}, not an object")
            yield doc


def _canonical_objects(
    text: str, source: str, trace: Trace | None = None
) -> tuple[CanonicalObject, ...]:
    if trace is None:
        return tuple(_canonical(doc, source) for doc in _documents(text))
    return tuple(
        _canonical(doc, source, trace.writes_of(doc)) for doc in _documents(text, trace.scalars)
    )


def _canonical(
    doc: dict[str, object], source: str, writes: list[tuple[int, str]] | None = None
) -> CanonicalObject:
    meta = doc.get("metadata")
    if not isinstance(meta, dict) or not doc.get("kind") or not meta.get("name"):
        raise ValueError("every object needs kind and metadata.name")
    kind, name = str(doc["kind"]), str(meta["name"])
    if kind == "CustomResourceDefinition":
        annotations = meta.setdefault("annotations", {})
        annotations.setdefault(SYNC_WAVE, CRD_SYNC_WAVE)
    namespace = meta.get("namespace")
    return CanonicalObject(
        kind,
        name,
        None if namespace is None else str(namespace),
        canonical_text(doc, source=source, writes=writes),
    )


def _chart_memoizable(env: jinja2.Environment, chart: str) -> bool:
    """Every template and helper of the chart reads the context only through lookups.

    Parsing a chart's templates for this took 0.3 s of every render: the answer is kept
    between runs, under the sources, the analysis and the Jinja version it came from."""
    assert isinstance(env.loader, jinja2.FileSystemLoader)  # noqa: S101  build_environment's
    root = Path(env.loader.searchpath[0])
    # The chart library's macros are part of every chart's templates (they import it).
    sources = [
        (path.relative_to(root).as_posix(), path.read_text(encoding="utf-8"))
        for folder in (root / chart / "templates", root / LIBRARY / "templates")
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    ]
    inputs = [
        jinja2.__version__.encode(),
        Path(memo_module.__file__).read_bytes(),
        *(f"{name}\0{text}".encode() for name, text in sources),
    ]
    return kept("memoizable", inputs, lambda: all(memoizable(text, env) for _, text in sources))


_TEXT_CACHE_SIZE = 1024  # distinct template outputs kept parsed: a few MB


@dataclass
class Renderer:
    """The run's one environment, plus what it has rendered so far.

    Clusters on the same versions share many objects (CRDs, RBAC): each template is
    rendered, parsed and dumped once per distinct set of values it reads (generator/render/memo.py).
    `memoize=False` renders everything (tests compare the two). An output that differs from
    its template's last one only in simple scalars is re-dumped from it (render/respan.py);
    `respan=False` parses and dumps every output in full.
    """

    env: TrackingEnvironment
    memoize: bool = True
    respan: bool = True
    respans: Respans = field(default_factory=Respans)
    memos: dict[str, TemplateMemo | None] = field(default_factory=dict)
    memoizable_charts: dict[str, bool] = field(default_factory=dict)
    # The values read from the current release's context (held, so its id is not reused).
    _context: object = field(default=None, repr=False)
    _known: dict[MemoPath, object] = field(default_factory=dict, repr=False)
    _used: set[str] = field(default_factory=set, repr=False)
    _by_text: dict[tuple[str, bytes], tuple[CanonicalObject, ...]] = field(
        default_factory=dict, repr=False
    )

    def objects(
        self, name: str, source: str, context: Mapping[str, object]
    ) -> tuple[CanonicalObject, ...]:
        """The canonical objects of template `name` for this context, rendered if need be."""
        memo = self._memo(name) if self.memoize else None
        if memo is not None and memo.active:
            if context is not self._context:  # a new release: nothing read from it yet
                self._context, self._known = context, {}
            found = memo.lookup(self.env, context, self._known)
            if found is not None:
                return found  # type: ignore[return-value]  # stored by this method only
        template = self.env.get_template(name)
        if memo is None or not memo.active:
            return self._parsed(template.render(context), source)
        self.env.recording = Recording(root_paths(context))
        try:
            text = template.render(context)
        finally:
            recording, self.env.recording = self.env.recording, None
        objects = self._parsed(text, source)
        memo.store(recording, objects)
        return objects

    def _parsed(self, text: str, source: str) -> tuple[CanonicalObject, ...]:
        """Parse and dump a template's output once per distinct text: values that differ
        often render the same text (a patch version a template does not print)."""
        key = (source, hashlib.blake2b(text.encode(), digest_size=16).digest())
        found = self._by_text.get(key)
        if found is None:
            if len(self._by_text) >= _TEXT_CACHE_SIZE:  # memory stays flat over a large fleet
                self._by_text.clear()
            found = self._by_text[key] = (
                self.respans.objects(text, source, _canonical_objects)
                if self.respan
                else _canonical_objects(text, source)
            )
        return found

    def _memo(self, name: str) -> TemplateMemo | None:
        if name not in self.memos and name not in self._used:
            self._used.add(name)  # used once so far: a memo would only cost parsing the chart
            return None
        if name not in self.memos:
            chart = name.split("/")[0]
            if chart not in self.memoizable_charts:
                self.memoizable_charts[chart] = _chart_memoizable(self.env, chart)
            self.memos[name] = TemplateMemo() if self.memoizable_charts[chart] else None
        return self.memos[name]


def render_release(
    release: ChartRelease, *, chart: Chart, renderer: Renderer, images: Mapping[str, str]
) -> tuple[Manifest, ...]:
    context = {
        "cluster": release.cluster,
        "values": merge_values(chart.values, release.overrides),
        "chart": chart,
        "images": images,
    }
    manifests: list[Manifest] = []
    for template in chart.templates:
        source = f"{release.chart}/templates/{template}"
        try:
            objects = renderer.objects(chart.template_path(template), source, context)
        except (jinja2.TemplateError, TemplateFailure) as error:
            raise _failure(release, template, error, str(error)) from None
        except (yaml.YAMLError, ValueError) as error:
            raise _failure(
                release, template, error, f"output is not a valid object: {error}"
            ) from None
        destination: Destination = "seed" if template.startswith(SEED_TEMPLATES) else "user-cluster"
        manifests.extend(
            Manifest(
                release.cluster.name,
                destination,
                release.chart,
                template,
                o.kind,
                o.name,
                o.namespace,
                o.text,
            )
            for o in objects
        )
    return tuple(manifests)
