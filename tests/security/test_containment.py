"""Security: templates stay inside charts/, spec values stay data (never a template, a shell
command or a path), YAML tags never run code, and nothing secret is rendered (issue 7)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
import yaml
from click.testing import CliRunner

from kkpgen.cli import main
from kkpgen.diagnostics import KkpgenError
from kkpgen.output.staging import stage_tree
from kkpgen.render.engine import build_environment
from tests.conftest import cluster_yaml
from tests.good_fleet import GoodFleet, assert_out_untouched, assert_rejected

ROOT = Path(__file__).resolve().parents[2]
KKPGEN = Path(sys.executable).parent / "kkpgen"


@pytest.fixture
def charts_root(tmp_path: Path) -> Path:
    """A charts/ folder with a secret file beside it (what an escaping include would read)."""
    (tmp_path / "secret.txt").write_text("s3cr3t\n")
    root = tmp_path / "charts"
    (root / "demo" / "templates").mkdir(parents=True)
    (root / "demo" / "templates" / "ok.yaml").write_text("ok: {{ 1 + 1 }}\n")
    return root


@pytest.mark.parametrize(
    "name",
    [
        "../secret.txt",
        "../../etc/passwd",
        "demo/../../secret.txt",
        "demo/templates/../../../secret.txt",
        "/etc/passwd",
        str(Path("/etc/passwd")),
    ],
    ids=["parent", "etc-passwd", "through-a-chart", "deep", "absolute", "absolute-path"],
)
def test_templates_cannot_include_files_outside_charts(charts_root: Path, name: str) -> None:
    env = build_environment(charts_root)
    (charts_root / "demo" / "templates" / "evil.yaml").write_text(f'{{% include "{name}" %}}\n')
    assert env.get_template("demo/templates/ok.yaml").render() == "ok: 2\n"
    with pytest.raises(jinja2.TemplateNotFound):
        env.get_template("demo/templates/evil.yaml").render()
    with pytest.raises(jinja2.TemplateNotFound):
        env.get_template(name)


def test_a_spec_value_is_rendered_as_data_never_as_a_template(
    good_fleet: GoodFleet, tmp_path: Path
) -> None:
    spec = cluster_yaml("good", extra="cniPlugin: {type: cilium, version: v1.11}\n")
    addon = """\
---
apiVersion: kubermatic.k8c.io/v1
kind: Addon
metadata: {name: hubble}
spec:
  name: hubble
  cluster: {name: good}
  variables:
    certgen: {schedule: "{{ 7 * 7 }} {% include '../../etc/passwd' %}"}
"""
    good_fleet.write({"clusters/good.yaml": spec + addon})
    out = tmp_path / "injected"
    argv = ["render", "--repo", str(good_fleet.repo), "--out", str(out)]
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    # the chart's values.schema.json refuses it at the Addon (issue 14, class 1) ...
    assert_rejected(
        result,
        code="addon.variables.invalid",
        file="clusters/good.yaml",
        line=18,
        field="spec.variables.certgen.schedule",
    )
    assert "root:x:0:0" not in result.stderr
    # ... and past the schema, the template still prints it as data
    env = build_environment(tmp_path)
    (tmp_path / "t.yaml").write_text("schedule: {{ values.schedule | quote }}\n")
    value = "{{ 7 * 7 }} {% include '../../etc/passwd' %}"
    rendered = env.get_template("t.yaml").render(values={"schedule": value})
    assert yaml.safe_load(rendered) == {"schedule": value}


def test_yaml_tags_never_run_code(good_fleet: GoodFleet, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    good_fleet.write(
        {
            "clusters/bad.yaml": cluster_yaml(
                "bad", version=f"!!python/object/apply:os.system ['touch {marker}']"
            ),
            "clusters/worse.yaml": cluster_yaml(
                "worse", version=f"!!python/object/new:os.system ['touch {marker}']"
            ),
        }
    )
    result = good_fleet.render()
    assert result.exit_code == 1, result.stderr
    assert not marker.exists()
    assert_out_untouched(good_fleet)


@pytest.mark.parametrize(
    "relative",
    ["../escaped.yaml", "/etc/kkpgen-escaped.yaml", "a/../../escaped.yaml", "", "."],
    ids=["parent", "absolute", "through-a-folder", "empty", "dot"],
)
def test_the_writer_refuses_paths_outside_the_staging_tree(tmp_path: Path, relative: str) -> None:
    out = tmp_path / "out"
    with pytest.raises(KkpgenError) as caught:
        stage_tree([(relative, b"x: 1\n")], out=out)
    assert caught.value.exit_code == 4
    assert [p.name for p in tmp_path.iterdir()] == []  # nothing written, staging removed
    assert not Path("/etc/kkpgen-escaped.yaml").exists()


def test_a_traversing_cluster_name_is_refused_before_anything_is_written(
    good_fleet: GoodFleet,
) -> None:
    good_fleet.write({"clusters/bad.yaml": cluster_yaml('"../../escaped"')})
    assert_rejected(
        good_fleet.render(),
        code="cluster.name.invalid",
        file="clusters/bad.yaml",
        line=4,
        field="metadata.name",
    )
    assert_out_untouched(good_fleet)
    assert not (good_fleet.out.parent.parent / "escaped").exists()


def _calls(tree: ast.AST) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def test_no_code_of_kkpgen_runs_a_shell() -> None:
    for path in sorted((ROOT / "generator").rglob("*.py")):
        for call in _calls(ast.parse(path.read_text(), str(path))):
            name = ast.unparse(call.func)
            assert name not in {"os.system", "os.popen", "eval", "exec"}, f"{path}: {name}"
            for keyword in call.keywords:
                is_shell = keyword.arg == "shell" and ast.unparse(keyword.value) != "False"
                assert not is_shell, f"{path}:{call.lineno}: shell=True"


SECRET_PATTERNS = {
    "pem-block": re.compile(r"-----BEGIN [A-Z ]+-----"),
    "jwt": re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    "aws-access-key": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "github-token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"),
    "slack-token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "bootstrap-token": re.compile(r"\b[a-z0-9]{6}\.[a-z0-9]{16}\b"),
    "base64-blob": re.compile(
        r"(?=[A-Za-z0-9+/]*\d)(?=[A-Za-z0-9+/]*[A-Z])(?=[A-Za-z0-9+/]*[a-z])[A-Za-z0-9+/]{40,}={0,2}"
    ),
}


@pytest.fixture(scope="module")
def rendered_fixtures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fixtures") / "rendered"
    done = subprocess.run(
        [str(KKPGEN), "render", "--repo", str(ROOT / "fixtures"), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return out


def test_the_secret_scan_finds_planted_secrets() -> None:
    planted = (
        "-----BEGIN RSA PRIVATE KEY-----\n"
        "token: eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9\n"
        "key: AKIAIOSFODNN7EXAMPLE\n"
        "join: abcdef.0123456789abcdef\n"
        "blob: MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n"
    )
    found = {name for name, pattern in SECRET_PATTERNS.items() if pattern.search(planted)}
    assert found == {"pem-block", "jwt", "aws-access-key", "bootstrap-token", "base64-blob"}


def test_the_rendered_fixtures_hold_no_secret_material(rendered_fixtures: Path) -> None:
    files = sorted(p for p in rendered_fixtures.rglob("*") if p.is_file())
    assert len(files) > 100
    for path in files:
        text = path.read_text()
        for name, pattern in SECRET_PATTERNS.items():
            assert not pattern.search(text), f"{path}: looks like a {name}"
        if path.suffix != ".yaml":
            continue
        for document in yaml.safe_load_all(text):
            if isinstance(document, dict) and document.get("kind") == "Secret":
                assert not document.get("data"), f"{path}: a Secret with data"
                assert not document.get("stringData"), f"{path}: a Secret with stringData"
