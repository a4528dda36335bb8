"""`kkpgen init` refusals: each names what is wrong and where, with its exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from kkpgen.diagnostics import ExitCode, KkpgenError, format_diagnostic
from kkpgen.gitops.scaffold import InitOptions, init_repo


def test_a_folder_below_a_regular_file_is_an_environment_error(tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("a file\n")
    target = tmp_path / "notes" / "fleet"
    with pytest.raises(KkpgenError) as raised:
        init_repo(target, InitOptions(ci="none"))
    assert raised.value.exit_code == ExitCode.ENVIRONMENT
    (diagnostic,) = raised.value.diagnostics
    assert format_diagnostic(diagnostic) == (
        f"{target}: error[init.unwritable]: cannot write the repository skeleton into "
        f"{target}: not a folder\n"
        "  hint: pass a folder you can write to, whose parents are folders: kkpgen init DIR"
    )
    assert (tmp_path / "notes").read_text() == "a file\n"


def test_ci_without_a_kkpgen_source_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    with pytest.raises(KkpgenError) as raised:
        init_repo(tmp_path / "fleet", InitOptions(ci="github"))
    assert raised.value.exit_code == ExitCode.INVALID_INPUT
    (diagnostic,) = raised.value.diagnostics
    assert format_diagnostic(diagnostic).startswith(
        "--kkpgen-repo: error[init.kkpgen-source]: kkpgen init writes CI that installs kkpgen"
    )
    assert not (tmp_path / "fleet" / "kubermatic.yaml").exists()
