"""tools/mutation.py: the [tool.mutmut] table it writes mutates one stage or module and runs
the chosen tests (the tool itself runs mutmut, which takes minutes: not run here)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tools import mutation

ROOT = Path(__file__).resolve().parents[2]


def test_the_table_mutates_one_module_and_runs_the_chosen_tests() -> None:
    table = tomllib.loads(mutation.mutmut_table("output", "record", ["tests/output/x.py"]))
    config = table["tool"]["mutmut"]
    assert config["source_paths"] == ["kkpgen"]
    assert config["only_mutate"] == ["kkpgen/output/record.py"]
    assert config["pytest_add_cli_args_test_selection"] == ["tests/output/x.py"]
    whole = tomllib.loads(mutation.mutmut_table("gitops", None, ["tests/gitops"]))
    assert whole["tool"]["mutmut"]["only_mutate"] == ["kkpgen/gitops/*"]


@pytest.mark.parametrize("stage", mutation.STAGES)
def test_every_stage_is_a_package_with_tests(stage: str) -> None:
    assert (ROOT / "generator" / stage / "__init__.py").is_file()
    for folder in mutation.STAGE_TESTS.get(stage, (f"tests/{stage}",)):
        assert (ROOT / folder).is_dir(), folder


def test_the_work_folder_is_not_committed() -> None:
    assert "/.mutation/" in (ROOT / ".gitignore").read_text().splitlines()


def test_the_selection_is_the_stage_s_tests_less_those_left_out() -> None:
    slow = "tests/faults/test_kills_and_races.py::test_sigkill"
    assert mutation.selection("output", None, [slow]) == [
        "tests/output",
        "tests/faults",
        f"--deselect={slow}",
    ]
    assert mutation.selection("gitops", ["tests/gitops/x.py"], []) == ["tests/gitops/x.py"]
