"""Dependency-tracked template memo: render a template once per distinct set of values it reads.

While a template renders, every `obj.attr` / `obj[key]` it evaluates on the context (the
four names and what is reached from them) is recorded. The next cluster whose context has
equal values at those paths gets the stored text without rendering: clusters on the same
versions share CRDs, RBAC and most workloads. Templates that use a context name other than
through an attribute or a macro argument are never memoized (see `memoizable`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

import jinja2
from jinja2 import nodes

ROOTS = ("cluster", "values", "chart", "images")
Step = tuple[str, object]  # ("attr", name) or ("item", key)
Path = tuple[Step, ...]
_UNDEFINED = ("__undefined__",)
_UNREAD = object()
_NAVIGABLE = (dict, list, tuple)
_RETIRE_AFTER = 64  # misses before a template that rarely repeats stops being stored
_STORED = 512  # results one template keeps: more are forgotten and stored again as met


_SCALARS = frozenset({str, int, bool, float, type(None)})


def freeze(value: object) -> object:
    """A hashable stand-in with the value's equality; types kept apart (1 != True)."""
    kind = type(value)
    if kind in _SCALARS:  # most reads: before the slower isinstance tests against ABCs
        return (kind.__name__, value)
    return _freeze_other(value)


def _freeze_other(value: object) -> object:
    if isinstance(value, jinja2.Undefined):
        return _UNDEFINED
    if isinstance(value, Mapping):
        return ("map", tuple((k, freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return ("seq", tuple(freeze(v) for v in value))
    if isinstance(value, set | frozenset):
        return ("set", frozenset(freeze(v) for v in value))
    if dataclasses.is_dataclass(value):
        return ("obj", repr(value))
    return (type(value).__name__, value)


@dataclass
class Recording:
    """What one render read: the path of each reachable object, and the values it used."""

    paths: dict[int, Path]
    reads: dict[Path, object] = field(default_factory=dict)

    def record(self, obj: object, step: Step, value: object) -> None:
        parent = self.paths.get(id(obj))
        if parent is None:
            return  # a literal or a filter's result: its inputs were recorded already
        path = (*parent, step)
        if callable(value) and not isinstance(value, jinja2.Undefined):
            self.reads[parent] = freeze(obj)  # a method reads the whole object
            return
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            self.paths[id(value)] = path  # navigate on; its fields are recorded as read
            return
        if isinstance(value, _NAVIGABLE):
            self.paths[id(value)] = path
        self.reads[path] = freeze(value)


class TrackingEnvironment(jinja2.Environment):
    """A jinja2 Environment whose attribute and item lookups can be recorded."""

    recording: Recording | None = None

    def getattr(self, obj: object, attribute: str) -> object:
        value = super().getattr(obj, attribute)
        if self.recording is not None:
            self.recording.record(obj, ("attr", attribute), value)
        return value

    def getitem(self, obj: object, argument: object) -> object:
        value = super().getitem(obj, argument)
        if self.recording is not None:
            self.recording.record(obj, ("item", argument), value)
        return value


def _evaluate(env: jinja2.Environment, roots: Mapping[str, object], path: Path) -> object:
    value: object = roots[str(path[0][1])]  # every path starts at a root (root_paths)
    for kind, key in path[1:]:
        value = (
            jinja2.Environment.getattr(env, value, str(key))
            if kind == "attr"
            else jinja2.Environment.getitem(env, value, key)
        )
    return freeze(value)


def _value_at(
    env: jinja2.Environment, roots: Mapping[str, object], path: Path, known: dict[Path, object]
) -> object:
    found = known.get(path, _UNREAD)
    if found is _UNREAD:
        found = known[path] = _evaluate(env, roots, path)
    return found


@dataclass
class TemplateMemo:
    """Stored results of one template, grouped by the set of paths a render read.

    A template whose output differs for nearly every cluster (it reads the cluster's name
    or address) is retired after a while: storing those results would only cost memory.
    """

    by_shape: dict[tuple[Path, ...], dict[tuple[object, ...], object]] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0
    active: bool = True
    stored: int = 0  # results in by_shape

    def lookup(
        self, env: jinja2.Environment, roots: Mapping[str, object], known: dict[Path, object]
    ) -> object | None:
        """The stored result for these roots; `known` holds the values already read from
        them (the templates of one chart read mostly the same paths)."""
        for shape, outputs in self.by_shape.items():
            key = tuple(_value_at(env, roots, path, known) for path in shape)
            found = outputs.get(key)
            if found is not None:
                self.hits += 1
                return found
        self.misses += 1
        return None

    def store(self, recording: Recording, result: object) -> None:
        if self.misses >= _RETIRE_AFTER and self.hits < self.misses:
            self.active = False
            self.by_shape.clear()
            return
        if self.stored >= _STORED:  # bounded: a worker's memory grew with every result kept
            self.by_shape.clear()
            self.stored = 0
        shape = tuple(sorted(recording.reads, key=repr))
        key = tuple(recording.reads[path] for path in shape)
        self.by_shape.setdefault(shape, {})[key] = result
        self.stored += 1


def root_paths(context: Mapping[str, object]) -> dict[int, Path]:
    return {id(value): (("root", name),) for name, value in context.items()}


def memoizable(source: str, env: jinja2.Environment) -> bool:
    """True when every use of a context name is `name.attr`, `name[...]` or a call argument.

    A bare use (`{{ values | toyaml }}`, `{% for x in values %}`) reads the whole object
    without a recorded lookup, so such a template is always rendered.
    """
    tree = env.parse(source)
    allowed: set[int] = set()
    for getattr_node in tree.find_all(nodes.Getattr):
        allowed.add(id(getattr_node.node))
    for getitem_node in tree.find_all(nodes.Getitem):
        allowed.add(id(getitem_node.node))
    for call in tree.find_all(nodes.Call):
        allowed.update(id(arg) for arg in call.args)
    for name in tree.find_all(nodes.Name):
        if name.name in ROOTS and name.ctx == "load" and id(name) not in allowed:
            return False
    return True
