"""Class 1: Addon values are data, never template text (issue 14).

Every chart has a values.schema.json; `check` validates each Addon's spec.variables against
it and reports at the Addon's file:line:field, with did-you-mean at every depth; two Addons
of one chart for one cluster are an error; templates emit values through `toyaml`/`quote`
only, and a property test shows that no value `check` accepts adds an object or a key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema.protocols import Validator

from kkpgen.diagnostics import KkpgenError
from kkpgen.kkp.catalog import load_catalog
from kkpgen.kkp.charts import CHARTS_DIR, load_charts
from kkpgen.kkp.check import check_fleet
from kkpgen.kkp.variables import LIBRARY_SCHEMA, validator_class, values_validator
from kkpgen.models.options import SourceOptions
from kkpgen.models.resolved import ResolvedCluster
from kkpgen.render.contents import render_cluster
from kkpgen.render.engine import Renderer, build_environment, render_release
from kkpgen.render.manifest import Manifest
from kkpgen.render.plan import ChartRelease, plan_releases
from tests.conftest import CONFIG, cluster_yaml
from tests.good_fleet import GoodFleet, assert_out_untouched, assert_rejected
from tests.kkp.test_broken_inputs import ADDON, BAD

# clusters/bad.yaml: BAD (8 lines), the cniPlugin line 9, the Addon from line 10: spec.name is
# on line 16, `variables:` on line 19, and its first key on line 20.
CILIUM = BAD + "  cniPlugin: {type: cilium, version: v1.11}\n"
HUBBLE = CILIUM + ADDON.format(cluster="bad")


def hubble(variables: str) -> str:
    return HUBBLE + "  variables:\n" + "".join(f"    {line}\n" for line in variables.splitlines())


CASES: dict[str, tuple[str, str, int, str, str]] = {
    # id: (clusters/bad.yaml, code, line, field, part of the hint)
    "a-value-that-would-add-a-secret-object": (
        hubble(
            'relay: {replicas: "1\\n---\\napiVersion: v1\\nkind: Secret\\nmetadata: {name: x}"}'
        ),
        "addon.variables.invalid",
        20,
        "spec.variables.relay.replicas",
        "expected a number of replicas",
    ),
    "a-null-replica-count": (
        hubble("relay: {replicas: null}"),
        "addon.variables.invalid",
        20,
        "spec.variables.relay.replicas",
        "expected a number of replicas",
    ),
    "a-float-replica-count": (
        hubble("relay: {replicas: 1.0}"),
        "addon.variables.invalid",
        20,
        "spec.variables.relay.replicas",
        "",
    ),
    "a-boolean-replica-count": (
        hubble("relay: {replicas: true}"),
        "addon.variables.invalid",
        20,
        "spec.variables.relay.replicas",
        "",
    ),
    "a-string-where-an-object-belongs": (
        hubble('relay: "x"'),
        "addon.variables.invalid",
        20,
        "spec.variables.relay",
        "",
    ),
    "a-list-where-an-object-belongs": (
        hubble("relay: [1, 2]"),
        "addon.variables.invalid",
        20,
        "spec.variables.relay",
        "",
    ),
    "a-quantity-with-a-trailing-newline": (
        hubble('relay:\n  resources:\n    requests: {cpu: "50m\\n"}'),
        "addon.variables.invalid",
        22,
        "spec.variables.relay.resources.requests.cpu",
        "a Kubernetes quantity",
    ),
    "a-quantity-with-non-ascii-digits": (
        hubble('relay:\n  resources:\n    requests: {cpu: "\\uff15\\uff10m"}'),
        "addon.variables.invalid",
        22,
        "spec.variables.relay.resources.requests.cpu",
        "a Kubernetes quantity",
    ),
    "a-cron-schedule-with-an-injected-line": (
        hubble('certgen: {schedule: "0 0 1 */4 *\\n  extra: key"}'),
        "addon.variables.invalid",
        20,
        "spec.variables.certgen.schedule",
        "a cron schedule",
    ),
    "a-duration-that-carries-an-argument": (
        hubble('certgen: {certValidityDuration: "1s --debug"}'),
        "addon.variables.invalid",
        20,
        "spec.variables.certgen.certValidityDuration",
        "a Go duration",
    ),
    "a-misspelled-key-at-the-top": (
        hubble("relai: {replicas: 2}"),
        "addon.variables.unknown",
        20,
        "spec.variables.relai",
        "did you mean 'relay'?",
    ),
    "a-misspelled-key-one-level-down": (
        hubble("relay: {replicaz: 2}"),
        "addon.variables.unknown",
        20,
        "spec.variables.relay.replicaz",
        "did you mean 'replicas'?",
    ),
    "a-misspelled-key-two-levels-down": (
        hubble("relay:\n  resources: {request: {cpu: 1m}}"),
        "addon.variables.unknown",
        21,
        "spec.variables.relay.resources.request",
        "did you mean 'requests'?",
    ),
    "a-misspelled-key-of-the-ui": (
        hubble("ui: {frontendResource: {}}"),
        "addon.variables.unknown",
        20,
        "spec.variables.ui.frontendResource",
        "did you mean 'frontendResources'?",
    ),
    "two-hubble-addons-for-one-cluster": (
        hubble("relay: {replicas: 2}")
        + ADDON.format(cluster="bad").replace("name: hubble\nspec", "name: hubble-2\nspec")
        + "  variables:\n    relay: {replicas: 3}\n",
        "addon.duplicate",
        27,
        "spec.name",
        "merge the two",
    ),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_an_addon_variable_the_chart_schema_refuses_is_an_error_at_the_addon(
    case: tuple[str, str, int, str, str], good_fleet: GoodFleet
) -> None:
    text, code, line, field, hint = case
    good_fleet.write({"clusters/bad.yaml": text})
    result = good_fleet.render()
    assert_rejected(result, code=code, file="clusters/bad.yaml", line=line, field=field)
    assert hint in result.stderr
    assert "charts/" not in result.stderr  # the Addon is named, not a chart template
    assert_out_untouched(good_fleet)


def test_check_reports_a_schema_error_at_the_addon_too(good_fleet: GoodFleet) -> None:
    from click.testing import CliRunner

    from kkpgen.cli import main

    good_fleet.write({"clusters/bad.yaml": hubble("relay: {replicas: null}")})
    result = CliRunner().invoke(
        main, ["check", "--repo", str(good_fleet.repo)], catch_exceptions=False
    )
    assert_rejected(
        result,
        code="addon.variables.invalid",
        file="clusters/bad.yaml",
        line=20,
        field="spec.variables.relay.replicas",
    )
    assert 'null is not a valid value for "relay.replicas"' in result.stderr.replace("'", '"')


def test_valid_addon_variables_render(good_fleet: GoodFleet) -> None:
    variables = 'relay:\n  replicas: 3\n  resources: {limits: {cpu: "1", memory: 256Mi}}'
    good_fleet.write({"clusters/bad.yaml": hubble(variables)})
    result = good_fleet.render()
    assert result.exit_code == 0, result.stderr
    relay = yaml.safe_load(
        (good_fleet.out / "bad/user-cluster/hubble/deployment-hubble-relay.yaml").read_text()
    )
    assert relay["spec"]["replicas"] == 3
    assert relay["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"] == {
        "cpu": "1",
        "memory": "256Mi",
    }


# --- the charts' schemas ---------------------------------------------------------------


def _leaves(value: object, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path


CHART_NAMES = sorted(p.name for p in CHARTS_DIR.iterdir() if (p / "Chart.yaml").is_file())


@pytest.mark.parametrize("name", CHART_NAMES)
def test_every_chart_has_a_values_schema_its_defaults_satisfy(name: str) -> None:
    folder = CHARTS_DIR / name
    schema = json.loads((folder / "values.schema.json").read_text())
    values = yaml.safe_load((folder / "values.yaml").read_text())
    validator_class().check_schema(schema)
    assert list(values_validator(load_charts()[name]).iter_errors(values)) == []
    assert schema.get("additionalProperties") is False
    # every key of values.yaml is a property of the schema (so an Addon can set it)
    for key in values:
        assert key in schema["properties"], f"{name}: {key} missing from values.schema.json"


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "$ref":
                yield str(value)
            yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


@pytest.mark.parametrize("name", CHART_NAMES)
def test_a_chart_schema_defines_nothing_and_refers_only_to_the_chart_library(name: str) -> None:
    """Issue 20: each definition is written once, in charts/_library (no `$defs` copied);
    a chart whose values are none of the shared kinds (cilium-application) refers to none."""
    schema = json.loads((CHARTS_DIR / name / "values.schema.json").read_text())
    library = json.loads((CHARTS_DIR / LIBRARY_SCHEMA).read_text())
    assert "$defs" not in schema
    refs = set(_refs(schema))
    for ref in refs:
        file, _, pointer = ref.partition("#/$defs/")
        assert file == "../" + LIBRARY_SCHEMA, ref
        assert pointer in library["$defs"], ref


def test_every_library_definition_is_used_and_its_refs_resolve() -> None:
    library = json.loads((CHARTS_DIR / LIBRARY_SCHEMA).read_text())
    validator_class().check_schema(library)
    used = {
        ref.partition("#/$defs/")[2]
        for name in CHART_NAMES
        for ref in _refs(json.loads((CHARTS_DIR / name / "values.schema.json").read_text()))
    }
    used |= {ref.removeprefix("#/$defs/") for ref in _refs(library)}
    assert used == set(library["$defs"])


def test_a_value_refused_by_a_library_definition_names_its_description(
    good_fleet: GoodFleet,
) -> None:
    """The `$ref` is followed to the library: the hint quotes the definition's description."""
    addon = ADDON.format(cluster="bad").replace("hubble", "metrics-server")
    addon += "  variables:\n    replicas: 101\n"  # line 19 of clusters/bad.yaml
    good_fleet.write({"clusters/bad.yaml": BAD + addon})
    result = good_fleet.render()
    assert_rejected(
        result,
        code="addon.variables.invalid",
        file="clusters/bad.yaml",
        line=19,
        field="spec.variables.replicas",
    )
    assert "expected a number of replicas, 0-100" in result.stderr


# --- the property: no accepted value adds an object or a key ------------------------------

NASTY = [
    "1\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: injected}",
    "x\n  injected: true",
    "a: b",
    "{injected: 1}",
    "[1, 2]",
    "- item",
    "'",
    '"',
    "#",
    "&anchor",
    "*alias",
    "!!python/object/apply:os.system ['true']",
    "{{ 7 * 7 }}",
    "10m\n",
    "\u0665",
    "",
]
PLAUSIBLE = ["10m", "128Mi", "15s", "0 0 1 */4 *", "10%", "1", "info", "10.1.0.0/16", "host.io"]
LEAF = st.one_of(
    st.sampled_from(NASTY),
    st.sampled_from(PLAUSIBLE),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=20),
    st.integers(min_value=-2, max_value=70000),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
)


def _shape(value: object, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Every key and list position below `value`: what a value must never add."""
    yield path
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _shape(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _shape(item, (*path, index))


def _get(tree: object, path: tuple[str | int, ...]) -> object:
    for step in path:
        tree = tree[step]  # type: ignore[index]
    return tree


def _set(tree: dict[str, object], path: tuple[str | int, ...], value: object) -> None:
    node: object = tree
    for step in path[:-1]:
        node = node[step]  # type: ignore[index]
    node[path[-1]] = value  # type: ignore[index]


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> tuple[ResolvedCluster, ...]:
    """Three clusters that between them use every chart."""
    repo = tmp_path_factory.mktemp("values")
    (repo / "clusters").mkdir()
    (repo / "kubermatic.yaml").write_text(CONFIG)
    ports = '  annotations:\n    kkpgen/konnectivity-server-port: "31000"\n'
    ports += '    kkpgen/openvpn-server-port: "31001"\n'
    one = cluster_yaml(
        "one",
        extra="cniPlugin: {type: cilium, version: v1.11}\n"
        "clusterNetwork: {konnectivityEnabled: true}\n",
    )
    one += ADDON.format(cluster="one")
    two = cluster_yaml(
        "two",
        extra="cniPlugin: {type: canal, version: v3.22}\n"
        "clusterNetwork: {konnectivityEnabled: false}\n",
    )
    for name, text in (("one", one), ("two", two)):
        text = text.replace(f"  name: {name}\n", f"  name: {name}\n{ports}", 1)
        (repo / "clusters" / f"{name}.yaml").write_text(text)
    # Cilium >= 1.13 (chart cilium-application) exists from KKP v2.22: a v2.31.0 fleet.
    recent = tmp_path_factory.mktemp("values-recent")
    (recent / "clusters").mkdir()
    (recent / "kubermatic.yaml").write_text(
        CONFIG.replace('"v2.20"', '"v2.31.0"').replace(
            "  featureGates:\n    KonnectivityService: true\n", ""
        )
    )
    three = cluster_yaml(
        "three",
        version='"1.34.10"',
        extra="cniPlugin: {type: cilium, version: 1.19.4}\nclusterNetwork: {proxyMode: ebpf}\n",
    )
    (recent / "clusters" / "three.yaml").write_text(three)
    return (
        check_fleet(SourceOptions(repo=repo)).resolved
        + check_fleet(SourceOptions(repo=recent)).resolved
    )


def _releases(clusters: tuple[ResolvedCluster, ...]) -> dict[str, ChartRelease]:
    return {r.chart: r for c in clusters for r in plan_releases(c)}


def test_the_property_fixture_uses_every_chart(resolved: tuple[ResolvedCluster, ...]) -> None:
    assert sorted(_releases(resolved)) == CHART_NAMES
    catalog, charts = load_catalog(), load_charts()
    renderer = Renderer(build_environment())
    for cluster in resolved:
        assert render_cluster(cluster, charts=charts, renderer=renderer, catalog=catalog)


# "info": letters only, as a log level name must be (canal's node.logSeverityScreen).
TRUTHY = ["kkp.example.com", "eth0", "Zm9v", "info", 1400, 31000, 1, True]


def _truthy(default: object, path: tuple[str | int, ...], schema: Validator) -> object:
    """A value the schema accepts that switches on whatever `path` guards (its default when
    that is already truthy): with it, a chart shows every object and key it can have."""
    if default:
        return default
    for candidate in TRUTHY:
        trial: dict[str, Any] = {}
        node = trial
        for step in path[:-1]:
            node = node.setdefault(str(step), {})
        node[str(path[-1])] = candidate
        if not list(schema.iter_errors(trial)):
            return candidate
    return default


def _shapes(manifests: tuple[Manifest, ...]) -> dict[str, set[tuple[str | int, ...]]]:
    return {m.path: set(_shape(yaml.safe_load(m.text))) for m in manifests}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_value_check_accepts_can_add_an_object_or_a_key(
    resolved: tuple[ResolvedCluster, ...], data: st.DataObject
) -> None:
    """Values only fill in leaves: what a chart renders with any accepted values has no
    object and no key that it has neither with its defaults nor with every switch on."""
    charts, catalog = load_charts(), load_catalog()
    release = _releases(resolved)[data.draw(st.sampled_from(CHART_NAMES))]
    chart = charts[release.chart]
    schema = values_validator(chart)
    leaves = list(_leaves(chart.values))
    chosen = data.draw(st.lists(st.sampled_from(leaves), min_size=1, max_size=4, unique=True))
    variables: dict[str, Any] = json.loads(json.dumps(chart.values))
    switched_on: dict[str, object] = json.loads(json.dumps(chart.values))
    for path in chosen:
        _set(variables, path, data.draw(LEAF))
        _set(switched_on, path, _truthy(_get(chart.values, path), path, schema))
    if list(schema.iter_errors(variables)):
        return  # refused by check, at the Addon
    cluster = release.cluster
    images = catalog.images_for(
        release=catalog.release(cluster.kkp_version),
        cni=cluster.cni.type,
        cni_version=cluster.cni.version,
        kubernetes_version=cluster.kubernetes_version,
    )
    renderer = Renderer(build_environment(), memoize=False)

    def render(values: Mapping[str, object]) -> tuple[Manifest, ...]:
        changed = ChartRelease(release.chart, cluster, values)
        return render_release(changed, chart=chart, renderer=renderer, images=images)

    allowed = _shapes(render({}))
    for file, shape in _shapes(render(switched_on)).items():
        allowed[file] = allowed.get(file, set()) | shape
    try:
        rendered = _shapes(render(variables))
    except KkpgenError:  # a template's own `required` check: a diagnostic, not an object
        return
    assert set(rendered) <= set(allowed), sorted(set(rendered) - set(allowed))
    for file, shape in rendered.items():
        assert shape <= allowed[file], f"{file}: {sorted(map(str, shape - allowed[file]))}"


def test_the_property_would_catch_an_unquoted_value(tmp_path: Path) -> None:
    """The serializer is what keeps a string on one line: without it, a value adds a key."""
    env = build_environment(tmp_path)
    (tmp_path / "raw.yaml").write_text("a: {{ v }}\n")
    (tmp_path / "safe.yaml").write_text("a: {{ v | toyaml }}\n")
    value = "1\ninjected: true"
    assert yaml.safe_load(env.get_template("raw.yaml").render(v=value)) == {
        "a": 1,
        "injected": True,
    }
    assert yaml.safe_load(env.get_template("safe.yaml").render(v=value)) == {"a": value}


def test_every_leaf_with_an_empty_default_has_a_truthy_value_the_schema_accepts() -> None:
    """Else the property above cannot switch it on, and a value that adds a key (canal's
    node.logSeverityScreen adds FELIX_LOGSEVERITYSCREEN) looks like a value that must not."""
    charts = load_charts()
    for name in CHART_NAMES:
        chart = charts[name]
        schema = values_validator(chart)
        for path in _leaves(chart.values):
            if _get(chart.values, path) == "":
                assert _truthy("", path, schema) != "", (name, path)
