"""argocd/ stays current on every render path (issue 22): a change that alters an Argo CD
object (a wave, decommissioning, a cluster added or removed) rewrites it, whether the
render is full, of one folder, `--cluster` or `--shard`."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kkpgen.cli import main
from kkpgen.render.contents import shard_names
from tests.conftest import CONFIG, cluster_yaml, git

ARGO = CONFIG.replace(
    "  annotations:\n",
    '  annotations:\n    kkpgen/argocd-repo-url: "https://git.example.com/fleet.git"\n',
)
MODES = {
    "applicationset": ARGO,
    "applications": ARGO.replace(
        "  annotations:\n", '  annotations:\n    kkpgen/argocd-mode: "applications"\n'
    ),
}
NAMES = ("alpha", "bravo", "charlie", "delta")
WAVES = ("", "1", "2", "10", "canary")


@dataclass(frozen=True)
class Spec:
    """What an edit may change of one cluster."""

    patch: int = 6
    wave: str = ""
    leaving: bool = False

    def text(self, name: str) -> str:
        labels = f'kkpgen/rollout-wave: "{self.wave}"\n' if self.wave else ""
        labels += 'kkpgen/decommission: "true"\n' if self.leaving else ""
        return cluster_yaml(name, version=f'"1.23.{self.patch}"', labels=labels)


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@dataclass(frozen=True)
class Fleet:
    repo: Path
    out: Path

    def render(self, *args: str, out: Path | None = None) -> Result:
        argv = ["render", "--repo", str(self.repo), "--out", str(out or self.out), *args]
        result = CliRunner().invoke(main, argv, catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        return result

    def write(self, name: str, spec: Spec | None) -> None:
        path = self.repo / "clusters" / f"{name}.yaml"
        if spec is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(spec.text(name))

    def check(self) -> None:
        argv = ["render", "--repo", str(self.repo), "--out", str(self.out), "--check"]
        result = CliRunner().invoke(main, argv, catch_exceptions=False)
        assert result.exit_code == 0, result.stderr

    def fresh(self) -> dict[str, bytes]:
        out = self.out.parent / "fresh"
        shutil.rmtree(out, ignore_errors=True)
        self.render(out=out)
        return tree(out)


def make_fleet(root: Path, mode: str) -> Fleet:
    repo = root / "repo"
    (repo / "clusters").mkdir(parents=True)
    (repo / "kubermatic.yaml").write_text(MODES[mode])
    git(repo, "init", "-q", "-b", "main")
    fleet = Fleet(repo, root / "out")
    for name in NAMES:
        fleet.write(name, Spec())
    fleet.render()
    return fleet


def _path_args(path: str, name: str) -> tuple[str, ...]:
    """The render flags of each path; each one renders the edited cluster `name`."""
    if path == "cluster":
        return ("--cluster", name)
    if path == "shard":
        shard = next(k for k in (1, 2) if name in shard_names(list(NAMES), k, 2))
        return ("--shard", f"{shard}/2")
    return ("--full",) if path == "full" else ()


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("path", ["one-folder", "full", "cluster", "shard"])
def test_a_wave_change_then_a_render_passes_the_check(tmp_path: Path, mode: str, path: str) -> None:
    fleet = make_fleet(tmp_path, mode)
    fleet.write("alpha", Spec(wave="1"))
    fleet.render(*_path_args(path, "alpha"))
    fleet.check()
    seed = (
        "applicationset-kkpgen-seed.yaml"
        if mode == "applicationset"
        else ("application-alpha-seed.yaml")
    )
    assert b"'1'" in (fleet.out / "argocd" / seed).read_bytes()
    again = fleet.render()
    assert "0 files written" in again.stderr  # and it stays current


def test_a_render_repairs_an_argocd_folder_edited_by_hand(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path, "applicationset")
    (fleet.out / "argocd" / "applicationset-kkpgen-seed.yaml").write_text("edited\n")
    (fleet.out / "argocd" / "stray.yaml").write_text("stray\n")
    fleet.render()
    assert tree(fleet.out) == fleet.fresh()


# One step: which cluster, what it becomes (None: deleted), and the path of the render.
EDIT = st.tuples(
    st.sampled_from(NAMES),
    st.none()
    | st.builds(
        Spec,
        patch=st.integers(5, 8),
        wave=st.sampled_from(WAVES),
        leaving=st.booleans(),
    ),
    st.sampled_from(["one-folder", "full", "cluster", "shard"]),
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mode=st.sampled_from(list(MODES)), edits=st.lists(EDIT, min_size=1, max_size=4))
def test_any_sequence_of_edits_rendered_incrementally_equals_a_fresh_render(
    mode: str, edits: list[tuple[str, Spec | None, str]]
) -> None:
    with tempfile.TemporaryDirectory() as root:
        fleet = make_fleet(Path(root), mode)
        present = set(NAMES)
        for name, spec, path in edits:
            fleet.write(name, spec)
            present.discard(name) if spec is None else present.add(name)
            if not present:  # a repository without clusters renders nothing
                fleet.write(name, Spec())
                present.add(name)
            removed = spec is None
            fleet.render(*(() if removed else _path_args(path, name)))
            assert tree(fleet.out) == fleet.fresh(), f"after {name} -> {spec} ({path})"
