"""tools/mutation.py: the [tool.mutmut] table it writes mutates one stage or module and runs
the chosen tests (the tool itself runs mutmut, which takes minutes: not run here)."""

from __future__ import annotations

import tomllib
from collections import Counter
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
    # runs forked from a process that ran no test: no value kept in it stands in for the code
    assert config["process_isolation"] == "forkserver"
    assert "kkpgen/charts" in config["also_copy"]
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


NAMES = [f"kkpgen.render.engine.x_f__mutmut_{n}" for n in range(1, 101)]


def test_a_sample_is_the_same_for_the_same_seed_and_another_for_another() -> None:
    first = mutation.draw_sample(NAMES, 10, seed=1)
    assert len(first) == len(set(first)) == 10
    assert set(first) <= set(NAMES)
    assert mutation.draw_sample(reversed(NAMES), 10, seed=1) == first  # not the order given
    assert mutation.draw_sample(NAMES, 10, seed=2) != first
    assert mutation.draw_sample(NAMES, 500, seed=1) == sorted(NAMES)


def test_a_sample_picks_every_mutant_equally_often() -> None:
    picks = Counter(name for seed in range(2000) for name in mutation.draw_sample(NAMES, 10, seed))
    # 2000 samples of 10 in 100: each name about 200 times (binomial sd 13.4; fixed seeds)
    assert set(picks) == set(NAMES)
    assert 150 < min(picks.values()) <= max(picks.values()) < 250


def test_a_sample_leaves_out_the_mutants_skipped() -> None:
    skip = ["*__mutmut_1?", "kkpgen.render.engine.x_f__mutmut_2"]
    sample = mutation.draw_sample(NAMES, 100, seed=1, skip=skip)
    assert len(sample) == 100 - 10 - 1
    assert "kkpgen.render.engine.x_f__mutmut_15" not in sample
    assert "kkpgen.render.engine.x_f__mutmut_2" not in sample
    assert "kkpgen.render.engine.x_f__mutmut_21" in sample


@pytest.mark.parametrize(
    ("caught", "tried", "low", "high"),
    [
        (0, 10, 0.0, 0.2775),  # the textbook cases of the Wilson score interval
        (10, 10, 0.7225, 1.0),
        (5, 10, 0.2366, 0.7634),
        (90, 100, 0.8256, 0.9448),
        (95, 100, 0.8882, 0.9785),
    ],
)
def test_the_interval_is_wilson_s(caught: int, tried: int, low: float, high: float) -> None:
    assert mutation.wilson(caught, tried) == pytest.approx((low, high), abs=5e-5)


def test_no_interval_without_a_mutant_tried() -> None:
    with pytest.raises(ValueError, match="no interval for 0 of 0"):
        mutation.wilson(0, 0)
    with pytest.raises(ValueError, match="no interval for 3 of 2"):
        mutation.wilson(3, 2)


def test_the_report_counts_the_sample_only_and_names_its_survivors() -> None:
    results = mutation.parse_results(
        "    m.x_a__mutmut_1: killed\n    m.x_a__mutmut_2: survived\n"
        "    m.xǁCǁb__mutmut_3: timeout\n    m.x_c__mutmut_4: no tests\n"
        "    m.x_d__mutmut_5: survived\n"
    )
    assert results["m.xǁCǁb__mutmut_3"] == "timeout"
    sample = [
        "m.x_a__mutmut_1",
        "m.x_a__mutmut_2",
        "m.xǁCǁb__mutmut_3",
        "m.x_c__mutmut_4",
        "m.x_e__mutmut_6",
    ]
    assert mutation.sample_report(results, sample) == [
        "killed 1, no tests 1, not run 1, survived 1, timeout 1",
        "caught 2 of 3 tested: 66.7% (95% interval 20.8% to 93.9%, Wilson)",
        "survived: m.x_a__mutmut_2",
    ]


def test_what_mutmut_does_not_mutate_is_copied_afresh_at_every_run() -> None:
    # mutmut never copies the package again over a file already in `mutants/`: a second run
    # would test the stage against an old KKP catalog unless also_copy lists the rest
    stage = tomllib.loads(mutation.mutmut_table("render", None, ["tests/render"]))
    copied = stage["tool"]["mutmut"]["also_copy"]
    assert {"kkpgen/kkp", "kkpgen/source", "kkpgen/charts", "kkpgen/cli"} <= set(copied)
    assert "kkpgen/render" not in copied  # mutmut keeps the mutated stage itself
    assert not any(path.startswith("kkpgen/render/") for path in copied)
    module = tomllib.loads(mutation.mutmut_table("output", "record", ["tests/output"]))
    copied = module["tool"]["mutmut"]["also_copy"]
    assert {"kkpgen/output/update.py", "kkpgen/kkp", "kkpgen/render"} <= set(copied)
    assert "kkpgen/output/record.py" not in copied
    assert "kkpgen/output" not in copied
    assert not any("__pycache__" in path for path in copied)


def test_a_survivor_the_whole_selection_kills_counts_as_caught_under_its_own_name() -> None:
    results = {"m.x_a__mutmut_1": "killed", "m.x_a__mutmut_2": "survived"}
    results |= {"m.x_b__mutmut_3": "survived", "m.x_b__mutmut_4": "survived"}
    whole = {"m.x_a__mutmut_2": "killed", "m.x_b__mutmut_3": "survived"}
    whole |= {"m.x_b__mutmut_4": "timeout", "m.x_a__mutmut_1": "survived"}  # a kill stands
    assert mutation.sample_report(results, sorted(results), whole) == [
        "killed 1, killed by the whole selection 1, survived 2",
        "caught 2 of 4 tested: 50.0% (95% interval 15.0% to 85.0%, Wilson)",
        "survived: m.x_b__mutmut_3",
        "survived: m.x_b__mutmut_4",
    ]


@pytest.mark.parametrize(
    ("code", "status"),
    [(0, "survived"), (1, "killed"), (2, "error (pytest exit 2)"), (5, "error (pytest exit 5)")],
)
def test_only_a_failed_test_kills_a_mutant(code: int, status: str) -> None:
    # 2: interrupted, 3: internal error, 4: usage, 5: no test ran: none is a caught mutant
    assert mutation.pytest_status(code) == status


def test_a_mutant_gone_with_its_code_is_not_counted_as_tested() -> None:
    results = {"m.x_a__mutmut_1": "killed", "m.x_b__mutmut_2": "survived"}
    sample = ["m.x_a__mutmut_1", "m.x_b__mutmut_2", "m.x_c__mutmut_3"]
    assert mutation.sample_report(results, sample, gone=["m.x_c__mutmut_3"])[:2] == [
        "gone with its code 1, killed 1, survived 1",
        "caught 1 of 2 tested: 50.0% (95% interval 9.5% to 90.5%, Wilson)",
    ]


def test_a_sample_is_drawn_once_and_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A later run (after tests or a simpler function) tests the same mutants, though the
    code's mutants changed: a fresh draw over the new population would be another sample."""
    population = {"kkpgen/render/x.py": NAMES}
    monkeypatch.setattr(mutation, "all_mutants", lambda work: population)
    args = mutation.parse(["render", "--sample", "10", "--seed", "1"])
    first, gone = mutation.drawn_sample(tmp_path, args)
    assert (tmp_path / "sample-1-10.txt").read_text().split() == first
    assert gone == []
    population = {"kkpgen/render/x.py": [n for n in NAMES if n != first[0]] + ["new"]}
    again, gone = mutation.drawn_sample(tmp_path, args)
    assert again == first
    assert gone == [first[0]]


def test_survivors_run_the_mutants_of_a_function_changed_since_their_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Their result was the old code's: mutmut makes them again as the run starts."""
    names = ["m.x_a__mutmut_1", "m.x_b__mutmut_1", "m.x_c__mutmut_1"]
    (tmp_path / "sample-1-3.txt").write_text("\n".join(names) + "\n")
    monkeypatch.setattr(mutation, "all_mutants", lambda work: {"m.py": names})
    found = {"m.x_a__mutmut_1": "killed", "m.x_b__mutmut_1": "survived"}
    found["m.x_c__mutmut_1"] = "killed"
    runs: list[list[str]] = []

    def run(work: Path, arguments: list[str]) -> int:
        runs.append(arguments[3:])
        found.update({"m.x_b__mutmut_1": "killed", "m.x_c__mutmut_1": "not checked"})
        if len(runs) == 2:
            found["m.x_c__mutmut_1"] = "killed"
        return 0

    monkeypatch.setattr(mutation, "run_mutmut", run)
    monkeypatch.setattr(mutation, "results", lambda work: dict(found))
    args = mutation.parse(["render", "--sample", "3", "--survivors"])
    assert mutation.run_sample(tmp_path, args) == 0
    assert runs == [["m.x_b__mutmut_1"], ["m.x_c__mutmut_1"]]
