"""A corpus of broken spec repositories: each is refused with file, line, field and exit code,
and the <out> rendered before is left byte for byte as it was (issue 7)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import CONFIG, cluster_yaml
from tests.good_fleet import GoodFleet, assert_out_untouched, assert_rejected

KKPGEN = Path(sys.executable).parent / "kkpgen"
# cluster_yaml("bad") lines: 1 apiVersion, 2 kind, 3 metadata, 4 name, 5 spec, 6 version,
# 7 cloud, 8 aws; `extra` starts at line 9 (indented under spec).
BAD = cluster_yaml("bad")
ADDON = """\
---
apiVersion: kubermatic.k8c.io/v1
kind: Addon
metadata:
  name: hubble
spec:
  name: hubble
  cluster:
    name: {cluster}
"""


def y(text: str) -> str:
    return textwrap.dedent(text)


@dataclass(frozen=True)
class Case:
    files: dict[str, str | bytes | None]  # written over the good fleet's work tree
    code: str
    file: str
    line: int | None
    field: str = ""
    hint: str = ""  # a part of the hint line
    exit_code: int = 1
    argv: tuple[str, ...] = ()  # extra arguments of `render`


def bad(text: str | bytes, **expected: object) -> Case:
    """A clusters/bad.yaml next to the good cluster; errors expected in that file."""
    expected.setdefault("file", "clusters/bad.yaml")
    return Case({"clusters/bad.yaml": text}, **expected)  # type: ignore[arg-type]


def config(text: str | bytes, **expected: object) -> Case:
    """kubermatic.yaml replaced; errors expected in that file."""
    expected.setdefault("file", "kubermatic.yaml")
    return Case({"kubermatic.yaml": text}, **expected)  # type: ignore[arg-type]


def network(block: str, **expected: object) -> Case:
    """clusters/bad.yaml with `clusterNetwork:` at line 9 and `block` from line 10."""
    text = cluster_yaml("bad", extra="clusterNetwork:\n" + textwrap.indent(y(block), "  "))
    return bad(text, **expected)


CASES: dict[str, Case] = {
    # --- YAML syntax ---------------------------------------------------------------------
    "unclosed-flow-sequence": bad("a: [b\n", code="yaml.syntax", line=2),
    "unterminated-quote": bad(cluster_yaml("bad", version='"1.23.6'), code="yaml.syntax", line=9),
    "mapping-value-in-scalar": bad(
        y("""\
        apiVersion: kubermatic.k8c.io/v1
        kind: Cluster
        metadata:
          name: bad: worse
        """),
        code="yaml.syntax",
        line=4,
    ),
    "bad-indentation": bad(
        y("""\
        apiVersion: kubermatic.k8c.io/v1
        kind: Cluster
        metadata:
          name: bad
           labels: {}
        """),
        code="yaml.syntax",
        line=5,
    ),
    "tab-indentation": bad(
        "apiVersion: kubermatic.k8c.io/v1\nkind: Cluster\n\tmetadata: {}\n",
        code="yaml.syntax",
        line=3,
        hint="indent with spaces, not tabs",
    ),
    "tab-before-nested-key": bad(
        cluster_yaml("bad", extra="clusterNetwork:\n\tproxyMode: ipvs\n"),
        code="yaml.syntax",
        line=10,
        hint="tabs",
    ),
    "duplicate-top-level-key": bad(
        BAD.replace("kind: Cluster\n", "kind: Cluster\nkind: Cluster\n"),
        code="yaml.duplicate-key",
        line=3,
        hint="YAML keeps only the last one",
    ),
    "duplicate-nested-key": network(
        "proxyMode: ipvs\nproxyMode: ebpf\n", code="yaml.duplicate-key", line=11
    ),
    "duplicate-key-in-kubermatic-yaml": config(
        CONFIG.replace("kind: KubermaticConfiguration\n", "kind: KubermaticConfiguration\n" * 2),
        code="yaml.duplicate-key",
        line=3,
    ),
    "anchor-and-alias": network(
        """\
        pods: &ranges {cidrBlocks: ["172.25.0.0/16"]}
        services: *ranges
        """,
        code="yaml.alias",
        line=10,
        hint="write the repeated value out in full",
    ),
    "alias-bomb": bad(
        y("""\
        a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
        b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
        c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
        d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
        e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
        f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
        g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
        h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
        i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
        """),
        code="yaml.alias",
        line=1,
    ),
    "merge-key": network(
        '<<: {proxyMode: ipvs}\npods: {cidrBlocks: ["172.25.0.0/16"]}\n',
        code="yaml.merge-key",
        line=10,
    ),
    "complex-mapping-key": bad(
        BAD.replace("kind: Cluster\n", "kind: Cluster\n? [a, b]\n: c\n"),
        code="yaml.key-type",
        line=3,
    ),
    "python-name-tag": bad(
        cluster_yaml("bad", version="!!python/name:os.system"), code="yaml.syntax", line=6
    ),
    "python-apply-tag-is-never-called": bad(
        cluster_yaml("bad", version="!!python/object/apply:os.system ['id']"),
        code="yaml.tag",
        line=6,
    ),
    "control-character": bad(
        BAD.replace("name: bad", "name: bad\x1b[2J"), code="yaml.syntax", line=4
    ),
    "nul-byte": bad(BAD.encode().replace(b"aws", b"a\x00ws"), code="yaml.syntax", line=8),
    "nesting-too-deep": bad(
        BAD + "status:\n" + "".join("  " * i + "x:\n" for i in range(1, 700)),
        code="yaml.too-deep",
        line=74,
        hint="flatten the value",
    ),
    "flow-nesting-too-deep": bad(
        "apiVersion: " + "[" * 2000 + "]" * 2000 + "\n", code="yaml.syntax", line=1
    ),
    "huge-file": bad(BAD + "# padding\n" * 120_000, code="yaml.too-large", line=None),
    "huge-kubermatic-yaml": config(
        CONFIG + "#" * (1024 * 1024) + "\n", code="yaml.too-large", line=None
    ),
    # --- encodings -----------------------------------------------------------------------
    "invalid-utf8-byte": bad(
        BAD.encode().replace(b"aws: {}", b"aws: {\xff}"), code="yaml.encoding", line=8
    ),
    "latin1-text": bad(
        BAD.replace("name: bad", "name: caf\u00e9").encode("latin-1"),
        code="yaml.encoding",
        line=4,
        hint="save the file as UTF-8",
    ),
    "utf16-file": bad(BAD.encode("utf-16"), code="yaml.encoding", line=1),
    "bom-keeps-line-numbers": bad(
        b"\xef\xbb\xbf" + cluster_yaml("bad", version="1.30").encode(),
        code="schema.string-type",
        line=6,
        field="spec.version",
    ),
    "bom-inside-a-value": bad(
        BAD.replace("kind: Cluster", "kind: \ufeffCluster"),
        code="source.kind",
        line=2,
        field="kind",
    ),
    # --- document shape ------------------------------------------------------------------
    "document-is-a-list": bad(
        "- apiVersion: kubermatic.k8c.io/v1\n- kind: Cluster\n",
        code="source.kind",
        line=1,
        field="kind",
    ),
    "document-is-a-scalar": bad("just a string\n", code="source.kind", line=1, field="kind"),
    "null-document": bad(BAD + "--- ~\n", code="source.kind", line=9, field="kind"),
    "kind-missing": bad(
        BAD.replace("kind: Cluster\n", ""), code="source.kind", line=1, field="kind"
    ),
    "kind-unknown": bad(
        BAD.replace("kind: Cluster", "kind: ConfigMap"), code="source.kind", line=2
    ),
    "kind-is-a-number": bad(BAD.replace("kind: Cluster", "kind: 3"), code="source.kind", line=2),
    "api-version-wrong": bad(
        BAD.replace("kubermatic.k8c.io/v1", "v1"),
        code="schema.literal-error",
        line=1,
        field="apiVersion",
        hint="use one of",
    ),
    "kubermatic-yaml-holds-a-cluster": config(
        cluster_yaml("x"), code="source.kind", line=2, field="kind"
    ),
    # --- wrong types ---------------------------------------------------------------------
    "version-is-a-float": bad(
        cluster_yaml("bad", version="1.30"),
        code="schema.string-type",
        line=6,
        field="spec.version",
        hint='quote the value: "1.30"',
    ),
    "version-is-an-int": bad(
        cluster_yaml("bad", version="1"), code="schema.string-type", line=6, hint='"1"'
    ),
    "version-is-null": bad(
        cluster_yaml("bad", version="~"), code="schema.string-type", line=6, field="spec.version"
    ),
    "cni-version-is-a-float": bad(
        cluster_yaml("bad", extra="cniPlugin: {type: canal, version: 3.22}\n"),
        code="schema.string-type",
        line=9,
        field="spec.cniPlugin.version",
        hint='write the version as a string with its v: "v3.22"',
    ),
    "label-value-is-an-int": bad(
        cluster_yaml("bad", labels="unsafe-cni-upgrade: 1\n"),
        code="schema.string-type",
        line=6,
        field="metadata.labels.unsafe-cni-upgrade",
    ),
    "name-is-an-int": bad(
        cluster_yaml("123"), code="schema.string-type", line=4, field="metadata.name"
    ),
    "bool-is-a-string": network(
        'konnectivityEnabled: "yes"\n',
        code="schema.bool-type",
        line=10,
        field="spec.clusterNetwork.konnectivityEnabled",
        hint="use true or false without quotes",
    ),
    "bool-is-an-int": network(
        "ipvs: {strictArp: 1}\n",
        code="schema.bool-type",
        line=10,
        field="spec.clusterNetwork.ipvs.strictArp",
    ),
    "spec-is-a-string": bad(
        BAD.split("spec:")[0] + "spec: hello\n", code="schema.model-type", line=5, field="spec"
    ),
    "metadata-is-a-list": bad(
        BAD.replace("metadata:\n  name: bad\n", "metadata: [bad]\n"),
        code="schema.model-type",
        line=3,
        field="metadata",
    ),
    "cidr-blocks-is-a-string": network(
        'pods: {cidrBlocks: "172.25.0.0/16"}\n',
        code="schema.tuple-type",
        line=10,
        field="spec.clusterNetwork.pods.cidrBlocks",
    ),
    "cidr-block-is-an-int": network(
        "pods: {cidrBlocks: [10]}\n",
        code="schema.string-type",
        line=10,
        field="spec.clusterNetwork.pods.cidrBlocks[0]",
    ),
    "cni-type-unknown": bad(
        cluster_yaml("bad", extra="cniPlugin: {type: flannel}\n"),
        code="schema.literal-error",
        line=9,
        field="spec.cniPlugin.type",
        hint="'canal', 'cilium' or 'none'",
    ),
    "proxy-mode-unknown": network(
        "proxyMode: userspace\n",
        code="schema.literal-error",
        line=10,
        field="spec.clusterNetwork.proxyMode",
    ),
    "addon-variables-is-a-list": bad(
        cluster_yaml("bad", extra="cniPlugin: {type: cilium, version: v1.11}\n")
        + ADDON.format(cluster="bad")
        + "  variables: [1, 2]\n",
        code="schema.dict-type",
        line=19,
        field="spec.variables",
    ),
    # --- unknown and misspelled fields ---------------------------------------------------
    "misspelled-cluster-network": bad(
        cluster_yaml("bad", extra="clusterNetwok: {}\n"),
        code="schema.extra-forbidden",
        line=9,
        field="spec.clusterNetwok",
        hint="did you mean 'clusterNetwork'?",
    ),
    "misspelled-cni-version": bad(
        cluster_yaml("bad", extra="cniPlugin:\n  type: canal\n  verison: v3.22\n"),
        code="schema.extra-forbidden",
        line=11,
        field="spec.cniPlugin.verison",
        hint="did you mean 'version'?",
    ),
    "wrong-case-node-local-dns": network(
        "nodeLocalDnsCacheEnabled: true\n",
        code="schema.extra-forbidden",
        line=10,
        hint="did you mean 'nodeLocalDNSCacheEnabled'?",
    ),
    "misspelled-labels": bad(
        BAD.replace("  name: bad\n", "  name: bad\n  lables: {}\n"),
        code="schema.extra-forbidden",
        line=5,
        field="metadata.lables",
        hint="did you mean 'labels'?",
    ),
    "misspelled-spec": bad(
        BAD.replace("spec:", "sepc:"), code="schema.extra-forbidden", line=5, hint="'spec'"
    ),
    "unknown-field": network(
        "mtu: 1400\n",
        code="schema.extra-forbidden",
        line=10,
        field="spec.clusterNetwork.mtu",
        hint="remove the field",
    ),
    "admin-token-in-git": bad(
        BAD + "address:\n  adminToken: s3cr3t\n",
        code="schema.extra-forbidden",
        line=10,
        field="address.adminToken",
    ),
    "misspelled-feature-gates": config(
        CONFIG.replace("featureGates:", "featureGate:"),
        code="schema.extra-forbidden",
        line=9,
        hint="did you mean 'featureGates'?",
    ),
    "misspelled-addon-variables": bad(
        BAD + ADDON.format(cluster="bad") + "  varaibles: {}\n",
        code="schema.extra-forbidden",
        line=18,
        field="spec.varaibles",
        hint="did you mean 'variables'?",
    ),
    # --- missing required fields ---------------------------------------------------------
    "missing-version": bad(
        BAD.replace('  version: "1.23.6"\n', ""),
        code="schema.missing",
        line=5,
        field="spec.version",
        hint="add the field 'version'",
    ),
    "missing-cloud": bad(
        BAD.replace("  cloud:\n    aws: {}\n", ""),
        code="schema.missing",
        line=5,
        field="spec.cloud",
    ),
    "missing-metadata": bad(
        BAD.replace("metadata:\n  name: bad\n", ""), code="schema.missing", line=1, field="metadata"
    ),
    "missing-name": bad(
        BAD.replace("  name: bad\n", "  labels: {}\n"),
        code="schema.missing",
        line=3,
        field="metadata.name",
    ),
    "missing-spec": bad(BAD.split("spec:")[0], code="schema.missing", line=1, field="spec"),
    "missing-cni-type": bad(
        cluster_yaml("bad", extra="cniPlugin: {version: v3.22}\n"),
        code="schema.missing",
        line=9,
        field="spec.cniPlugin.type",
    ),
    "addon-without-cluster": bad(
        BAD + ADDON.format(cluster="bad").replace("  cluster:\n    name: bad\n", ""),
        code="schema.missing",
        line=14,
        field="spec.cluster",
    ),
    # --- cluster names: DNS-1123 labels only, never a path -------------------------------
    **{
        f"name-{case}": bad(
            cluster_yaml(name),
            code="cluster.name.invalid",
            line=4,
            field="metadata.name",
            hint="at most 63 characters",
        )
        for case, name in {
            "uppercase": "Bad",
            "parent-traversal": '"../x"',
            "absolute-path": '"/abs"',
            "slash": '"a/b"',
            "64-characters": "a" * 64,
            "empty": '""',
            "dot": "a.b",
            "leading-dash": '"-a"',
            "non-ascii": "caf\u00e9",
            "newline": '"a\\nb"',
        }.items()
    },
    # --- duplicates ----------------------------------------------------------------------
    "same-cluster-in-two-files": Case(
        {"clusters/bad.yaml": cluster_yaml("good")},
        code="cluster.name.duplicate",
        file="clusters/good.yaml",
        line=4,
        field="metadata.name",
        hint="one file per cluster",
    ),
    "same-cluster-twice-in-one-file": bad(
        BAD + "---\n" + BAD, code="cluster.name.duplicate", line=13, field="metadata.name"
    ),
    # --- CIDR garbage --------------------------------------------------------------------
    **{
        f"cidr-{case}": network(
            f'pods: {{cidrBlocks: ["{block}"]}}\n',
            code="network.cidr.invalid",
            line=10,
            field="spec.clusterNetwork.pods.cidrBlocks[0]",
            hint="IPv4",
        )
        for case, block in {
            "ipv6": "fd00::/64",
            "ipv4-mapped-ipv6": "::ffff:10.0.0.0/104",
            "prefix-33": "10.0.0.0/33",
            "host-bits": "10.0.0.1/16",
            "empty-string": "",
            "no-prefix": "10.0.0.0",
            "garbage": "banana",
            "leading-space": " 172.25.0.0/16",
            "octal-looking": "172.025.0.0/16",
        }.items()
    },
    "cidr-services-too-small": network(
        'services: {cidrBlocks: ["10.0.0.0/29"]}\n',
        code="network.cidr.invalid",
        line=10,
        field="spec.clusterNetwork.services.cidrBlocks[0]",
    ),
    "cidr-overlap": network(
        'pods: {cidrBlocks: ["10.0.0.0/8"]}\nservices: {cidrBlocks: ["10.96.0.0/12"]}\n',
        code="network.cidr.overlap",
        line=11,
    ),
    "cidr-two-blocks": network(
        'pods: {cidrBlocks: ["172.25.0.0/16", "172.26.0.0/16"]}\n',
        code="network.cidr.too-many",
        line=10,
    ),
    # --- addons --------------------------------------------------------------------------
    "addon-for-unknown-cluster": bad(
        BAD + ADDON.format(cluster="nope"),
        code="addon.cluster.unknown",
        line=17,
        field="spec.cluster.name",
        hint="use one of the clusters defined: bad, good",
    ),
    "addon-variable-unknown-to-the-chart": bad(
        cluster_yaml("bad", extra="cniPlugin: {type: cilium, version: v1.11}\n")
        + ADDON.format(cluster="bad")
        + "  variables:\n    relay: {replicaz: 2}\n",
        code="addon.variables.unknown",
        line=20,
        field="spec.variables.relay.replicaz",
    ),
    "hubble-addon-on-canal": bad(
        BAD + ADDON.format(cluster="bad"),
        code="addon.hubble.requires-cilium",
        line=15,
        field="spec.name",
    ),
    # --- KubermaticConfiguration ---------------------------------------------------------
    "feature-gate-is-a-string": config(
        CONFIG.replace("KonnectivityService: true", 'KonnectivityService: "yes"'),
        code="schema.bool-type",
        line=10,
        field="spec.featureGates.KonnectivityService",
    ),
    "feature-gates-is-a-list": config(
        CONFIG.replace(
            "featureGates:\n    KonnectivityService: true", "featureGates: [KonnectivityService]"
        ),
        code="schema.dict-type",
        line=9,
        field="spec.featureGates",
    ),
    "kkp-version-unknown": config(
        CONFIG.replace('"v2.20"', '"v9.99"'),
        code="kkp.version.unsupported",
        line=6,
        hint="use one of v2.17",
    ),
    "kkp-version-garbage": config(
        CONFIG.replace('"v2.20"', '"banana"'), code="kkp.version.unsupported", line=6
    ),
    "kkp-version-is-a-float": config(
        CONFIG.replace('"v2.20"', "2.20"),
        code="schema.string-type",
        line=6,
        field="metadata.annotations.kkpgen/kkp-version",
    ),
    "accessible-addons-is-a-string": config(
        CONFIG.replace("accessibleAddons: [hubble]", "accessibleAddons: hubble"),
        code="schema.tuple-type",
        line=12,
    ),
    "kubermatic-yaml-invalid-yaml": config(CONFIG + "  bad: [\n", code="yaml.syntax", line=14),
    "kubermatic-yaml-is-a-list": config("- a\n", code="source.kind", line=1),
    "apiserver-url-not-https": Case(
        {"kubermatic.yaml": CONFIG.replace("https://{name}", "http://{name}")},
        code="cluster.address.invalid",
        file="clusters/good.yaml",
        line=1,
        field="address.url",
    ),
    # --- values the rules refuse ---------------------------------------------------------
    "dns-domain-traversal": network(
        "dnsDomain: ../../etc\n",
        code="network.dns-domain.invalid",
        line=10,
        field="spec.clusterNetwork.dnsDomain",
    ),
    "kubernetes-version-garbage": bad(
        cluster_yaml("bad", version='"1.23.6; rm -rf /"'),
        code="cluster.version.invalid",
        line=6,
        field="spec.version",
    ),
    "address-url-not-https": bad(
        BAD + "address:\n  url: http://[::1\n",
        code="cluster.address.invalid",
        line=10,
        field="address.url",
    ),
    # --- command line --------------------------------------------------------------------
    "cluster-option-traversal": Case(
        {}, code="cluster.unknown", file="clusters/", line=None, argv=("--cluster", "../x")
    ),
    "cluster-option-unknown": Case(
        {}, code="cluster.unknown", file="clusters/", line=None, argv=("--cluster", "nope")
    ),
    # --- the repository ------------------------------------------------------------------
    "empty-clusters-folder": Case(
        {"clusters/good.yaml": None},
        code="source.no-clusters",
        file="clusters/",
        line=None,
        hint="--repo",
    ),
    "only-a-null-document": Case(
        {"clusters/good.yaml": "--- ~\n"}, code="source.kind", file="clusters/good.yaml", line=1
    ),
}
SUBPROCESS = {"nesting-too-deep", "control-character", "huge-file", "alias-bomb"}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_broken_input_is_refused_and_out_is_untouched(case: Case, good_fleet: GoodFleet) -> None:
    good_fleet.write(case.files)
    result = good_fleet.render(*case.argv)
    assert_rejected(
        result,
        code=case.code,
        file=case.file,
        line=case.line,
        field=case.field,
        exit_code=case.exit_code,
    )
    if case.hint:
        assert any(
            case.hint in line for line in result.stderr.splitlines() if line.startswith("  hint:")
        ), result.stderr
    assert_out_untouched(good_fleet)


@pytest.mark.parametrize("name", sorted(SUBPROCESS))
def test_broken_input_is_refused_by_the_installed_command(name: str, good_fleet: GoodFleet) -> None:
    case = CASES[name]
    good_fleet.write(case.files)
    argv = ["render", "--repo", str(good_fleet.repo), "--out", str(good_fleet.out)]
    done = subprocess.run(
        [str(KKPGEN), *argv], capture_output=True, text=True, check=False, timeout=60
    )
    assert_rejected((done.returncode, done.stderr), code=case.code, file=case.file, line=case.line)
    assert_out_untouched(good_fleet)
