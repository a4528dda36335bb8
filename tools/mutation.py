"""Mutation testing of one stage (or one module of it) with mutmut, for maintainers.

    .venv/bin/pip install -e '.[dev,mutation]'
    .venv/bin/python tools/mutation.py output --module record \
        --tests tests/output/test_incremental.py
    .venv/bin/python tools/mutation.py gitops                 # the stage with its test folder

mutmut reads its settings from the pyproject.toml of the folder it runs in and keeps its
results in `mutants/` there, so each stage (or module) gets its own work folder,
`.mutation/<stage>[-<module>]/`: links to the checkout, and a pyproject.toml with a
[tool.mutmut] table that mutates only that stage and runs only the chosen tests. A second
run reuses the results of mutants whose function did not change. The figures (killed,
survived, no tests, timeouts) are printed at the end; `mutmut results` and `mutmut show
<mutant>` in the work folder list and show the survivors. Not part of .ci/run: a stage
takes minutes to hours (docs/mutation-testing.md has the measured figures).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("source", "kkp", "render", "validate", "output", "gitops")
# The tests that exercise a stage: its own folder, and the property folders that drive it.
STAGE_TESTS = {
    "output": ("tests/output", "tests/faults"),
    "render": ("tests/render", "tests/snapshots"),
}
LINKS = ("generator", "tests", "fixtures", "bench", "tools", "charts", "docs")


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(item) for item in items) + "]"


def mutmut_table(stage: str, module: str | None, tests: list[str]) -> str:
    """The [tool.mutmut] table: mutate one stage (or module), run only `tests`."""
    only = f"kkpgen/{stage}/{module}.py" if module else f"kkpgen/{stage}/*"
    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["kkpgen"]\n'
        f"only_mutate = {_toml_list([only])}\n"
        # the charts are a link inside the package: copy what it points to
        'also_copy = ["kkpgen/charts", "fixtures", "bench", "tools", "docs"]\n'
        f"pytest_add_cli_args_test_selection = {_toml_list(tests)}\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q"]\n'
    )


def selection(stage: str, tests: list[str] | None, leave_out: list[str]) -> list[str]:
    """pytest's arguments: the tests chosen (default: the stage's), less those left out."""
    chosen = tests or list(STAGE_TESTS.get(stage, (f"tests/{stage}",)))
    return chosen + [f"--deselect={test}" for test in leave_out]


def prepare(stage: str, module: str | None, tests: list[str]) -> Path:
    """The work folder: links to the checkout and a pyproject.toml with the stage's table."""
    work = ROOT / ".mutation" / (f"{stage}-{module}" if module else stage)
    work.mkdir(parents=True, exist_ok=True)
    for name in LINKS:
        link = work / name
        if not link.is_symlink():
            link.symlink_to(ROOT / name)
    package = work / "kkpgen"
    if not package.is_symlink():
        package.symlink_to(ROOT / "generator")
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (work / "pyproject.toml").write_text(text + mutmut_table(stage, module, tests))
    return work


def figures(work: Path) -> dict[str, int]:
    """mutmut's counts of the last run (killed, survived, no_tests, timeout, ...)."""
    mutmut = Path(sys.executable).parent / "mutmut"
    export = [str(mutmut), "export-cicd-stats"]
    subprocess.run(export, cwd=work, check=True, capture_output=True)  # noqa: S603  our venv's
    stats = json.loads((work / "mutants" / "mutmut-cicd-stats.json").read_text())
    return {key: int(value) for key, value in stats.items() if isinstance(value, int)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=STAGES)
    parser.add_argument("--module", help="one module of the stage, e.g. record")
    parser.add_argument("--tests", nargs="+", help="the tests to run (default: the stage's)")
    parser.add_argument(
        "--leave-out", nargs="+", default=[], help="test ids to leave out (slow property tests)"
    )
    parser.add_argument("--max-children", type=int, default=2, help="parallel workers")
    args = parser.parse_args(argv)
    tests = selection(args.stage, args.tests, args.leave_out)
    work = prepare(args.stage, args.module, tests)
    mutmut = Path(sys.executable).parent / "mutmut"
    run = [str(mutmut), "run", "--max-children", str(args.max_children)]
    status = subprocess.run(run, cwd=work, check=False).returncode  # noqa: S603  our venv's
    counts = figures(work)
    tried = counts.get("killed", 0) + counts.get("survived", 0) + counts.get("timeout", 0)
    caught = counts.get("killed", 0) + counts.get("timeout", 0)
    print(json.dumps(counts, sort_keys=True))  # noqa: T201  a command-line tool
    if tried:
        share = f"{100 * caught / tried:.0f}%"
        print(f"{caught} of {tried} mutants caught ({share}); in {work}")  # noqa: T201
    return status


if __name__ == "__main__":
    sys.exit(main())
