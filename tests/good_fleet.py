"""A good fleet rendered into <out> once per module, copied per test; and the rejection checks."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kkpgen.cli import main
from tests.conftest import CONFIG, cluster_yaml, git


def tree(root: Path) -> dict[str, bytes]:
    """Every file below `root` with its bytes (the thing that must not change)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@dataclass(frozen=True)
class GoodFleet:
    repo: Path  # a git repository: kubermatic.yaml and clusters/good.yaml, committed
    out: Path  # the rendered fleet
    before: dict[str, bytes]  # tree(out) right after rendering

    def render(self, *args: str, out: Path | str | None = None) -> Result:
        """`kkpgen render --repo <repo> --out <out> ARGS` in-process (another `out` if told)."""
        target = self.out if out is None else out
        argv = ["render", "--repo", str(self.repo), "--out", str(target), *args]
        return CliRunner().invoke(main, argv, catch_exceptions=False)

    def write(self, files: dict[str, str | bytes | None]) -> None:
        for name, content in files.items():
            target = self.repo / name
            if content is None:
                target.unlink()
            elif isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content)


@pytest.fixture(scope="module")
def _rendered_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("good")
    repo = root / "repo"
    (repo / "clusters").mkdir(parents=True)
    (repo / "kubermatic.yaml").write_text(CONFIG)
    (repo / "clusters" / "good.yaml").write_text(cluster_yaml("good"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "good")
    argv = ["render", "--repo", str(repo), "--out", str(root / "out")]
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return root


@pytest.fixture
def good_fleet(_rendered_template: Path, tmp_path: Path) -> GoodFleet:
    shutil.copytree(_rendered_template, tmp_path, dirs_exist_ok=True, symlinks=True)
    return GoodFleet(tmp_path / "repo", tmp_path / "out", tree(tmp_path / "out"))


def assert_rejected(  # noqa: PLR0913  one keyword per fact a rejection must show
    result: Result | tuple[int, str],
    *,
    code: str,
    file: str,
    line: int | None,
    field: str = "",
    exit_code: int = 1,
) -> None:
    """Exit code, `file:line[:col]: error[code]: field:` on stderr, and no traceback."""
    status, stderr = result if isinstance(result, tuple) else (result.exit_code, result.stderr)
    assert status == exit_code, f"exit {status}, expected {exit_code}\n{stderr}"
    where = re.escape(file) + (rf":{line}(:\d+)?" if line is not None else "")
    head = rf"^{where}: error\[{re.escape(code)}\]: " + (re.escape(f"{field}: ") if field else "")
    assert re.search(head, stderr, re.MULTILINE), f"no line matching {head!r} in\n{stderr}"
    assert "Traceback" not in stderr
    assert "internal error" not in stderr


BadValue = tuple[str, str, int, str]  # spec text, code, line, field


def render_bad_spec(fleet: GoodFleet, case: BadValue) -> Result:
    """Render with `case`'s text as clusters/bad.yaml: refused with its code at its line and
    field, and <out> left as it was. The result, for what a case checks beyond that."""
    text, code, line, field = case
    fleet.write({"clusters/bad.yaml": text})
    result = fleet.render()
    assert_rejected(result, code=code, file="clusters/bad.yaml", line=line, field=field)
    assert_out_untouched(fleet)
    return result


def assert_out_untouched(fleet: GoodFleet) -> None:
    """<out> is byte-identical, and no staging or backup folder is left beside it."""
    assert tree(fleet.out) == fleet.before
    leftovers = [p.name for p in fleet.out.parent.iterdir() if p.name.startswith(".out.")]
    assert leftovers == []
