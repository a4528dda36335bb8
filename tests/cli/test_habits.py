"""CLI habits users expect (issue 22): -h, colour with NO_COLOR and --color, completion as
docs/cli.md says, `--out -` refused with a hint that works, Ctrl-C exits 130."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from kkpgen.cli import main
from tests.conftest import Repo, cluster_yaml

RunCli = Callable[..., Result]
ROOT = Path(__file__).resolve().parents[2]
KKPGEN = Path(sys.executable).parent / "kkpgen"
ANSI = "\x1b["
# A deprecated CNI version: check exits 0 with a warning to colour.
WARNED = cluster_yaml("c1", extra="cniPlugin: {type: canal, version: v3.19}\n")


@pytest.mark.parametrize("args", [["-h"], ["render", "-h"], ["argocd", "generate", "-h"]])
def test_h_is_help(run_cli: RunCli, args: list[str]) -> None:
    out = run_cli(args).stdout
    assert out.startswith("Usage: ")
    assert "-h, --help" in out


@pytest.mark.parametrize(
    ("args", "env", "terminal", "coloured"),
    [
        ([], {}, True, True),
        ([], {}, False, False),
        ([], {"NO_COLOR": "1"}, True, False),
        ([], {"NO_COLOR": ""}, True, True),
        (["--color", "never"], {}, True, False),
        (["--color", "always"], {"NO_COLOR": "1"}, False, True),
        (["--color=always"], {}, False, True),
    ],
    ids=["terminal", "pipe", "no-color", "empty-no-color", "never", "always-wins", "after"],
)
def test_colour_follows_the_terminal_no_color_and_the_flag(
    make_repo: Callable[..., Repo],
    args: list[str],
    env: dict[str, str],
    terminal: bool,
    coloured: bool,
) -> None:
    repo = make_repo(base={"clusters/c1.yaml": WARNED})
    runner = CliRunner()  # color=True: stderr behaves as a terminal would
    argv = ["check", "--repo", str(repo.path), *args]
    result = runner.invoke(main, argv, env={"NO_COLOR": None, **env}, color=terminal)
    assert result.exit_code == 0, result.stderr
    assert "warning[cni.version.forced-upgrade]" in click.unstyle(result.stderr)
    assert (ANSI in result.stderr) is coloured


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_works_as_documented(shell: str) -> None:
    doc = (ROOT / "docs" / "cli.md").read_text()
    assert f"_KKPGEN_COMPLETE={shell}_source kkpgen" in doc
    env = {**os.environ, "_KKPGEN_COMPLETE": f"{shell}_source"}
    script = subprocess.run([KKPGEN], env=env, capture_output=True, text=True, check=True)
    assert "_KKPGEN_COMPLETE" in script.stdout
    complete = {**os.environ, "_KKPGEN_COMPLETE": f"{shell}_complete"}
    # bash and zsh pass the index of the word to complete, fish the word itself
    complete.update({"COMP_WORDS": "kkpgen ren", "COMP_CWORD": "ren" if shell == "fish" else "1"})
    words = subprocess.run([KKPGEN], env=complete, capture_output=True, text=True, check=True)
    assert "render" in words.stdout


def test_out_dash_is_refused_and_its_hint_prints_the_stream(
    make_repo: Callable[..., Repo], run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(base={"clusters/c1.yaml": cluster_yaml("c1")})
    monkeypatch.chdir(tmp_path)
    result = run_cli(["render", "--repo", str(repo.path), "--out", "-"], expect=2)
    assert not (tmp_path / "-").exists()
    hint = result.stderr.split("run `", 1)[1].split("`", 1)[0]
    assert hint == "kkpgen argocd generate --cluster NAME --destination user-cluster"
    argv = [*hint.replace("NAME", "c1").split()[1:], "--repo", str(repo.path)]
    stream = run_cli(argv).stdout
    assert "kind: DaemonSet" in stream


def test_ctrl_c_exits_130_without_a_traceback(tmp_path: Path) -> None:
    """SIGINT arrives while the catalog loads (deterministically: the process sends it to
    itself there), as a Ctrl-C in the middle of a run would."""
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from kkpgen.cli import app
        from kkpgen.kkp import check

        def interrupted():
            os.kill(os.getpid(), signal.SIGINT)
            raise AssertionError("not interrupted")

        check.load_catalog = interrupted
        sys.argv = ["kkpgen", "check", "--repo", {str(ROOT / "fixtures")!r}]
        app.run()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 128 + signal.SIGINT == 130, done.stderr
    assert "kkpgen: interrupted" in done.stderr
    assert "Traceback" not in done.stderr
    assert "Aborted" not in done.stderr
