"""Mutation testing of one stage (or one module of it) with mutmut, for maintainers.

    .venv/bin/pip install -e '.[dev,mutation]'
    .venv/bin/python tools/mutation.py output --module record \
        --tests tests/output/test_incremental.py
    .venv/bin/python tools/mutation.py gitops                 # the stage with its test folder
    .venv/bin/python tools/mutation.py render --sample 120 --seed 1   # a stage-wide estimate
    .venv/bin/python tools/mutation.py render --sample 120 --seed 1 --survivors  # after tests
    .venv/bin/python tools/mutation.py render --sample 120 --seed 1 --whole-selection

mutmut reads its settings from the pyproject.toml of the folder it runs in and keeps its
results in `mutants/` there, so each stage (or module) gets its own work folder,
`.mutation/<stage>[-<module>]/`: links to the checkout, and a pyproject.toml with a
[tool.mutmut] table that mutates only that stage and runs only the chosen tests. A second
run reuses the results of mutants whose function did not change. The figures (killed,
survived, no tests, timeouts) are printed at the end; `mutmut results` and `mutmut show
<mutant>` in the work folder list and show the survivors. Not part of .ci/run: a stage
takes minutes to hours (docs/mutation-testing.md has the measured figures).

A whole stage takes hours on a small machine; `--sample N --seed S` runs N of the stage's
mutants picked uniformly at random (the same N for the same seed and code) and prints the
share caught with its 95% confidence interval: an estimate of the stage-wide figure.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("source", "kkp", "render", "validate", "output", "gitops")
# The tests that exercise a stage: its own folder, and the property folders that drive it.
STAGE_TESTS = {
    "output": ("tests/output", "tests/faults"),
    "render": ("tests/render", "tests/snapshots"),
}
LINKS = ("generator", "tests", "fixtures", "bench", "tools", "charts", "docs")
# The checkout's folders the tests read by path, copied into mutmut's `mutants/` each run.
COPIED = ("fixtures", "bench", "tools", "docs")
# Run in the work folder, where mutmut reads its settings: every mutant of the stage, named
# as mutmut names them, made the way `mutmut run` makes them, without running a test.
LIST_MUTANTS = """
import json
from mutmut.mutation.file_mutation import mutate_file_contents
from mutmut.utils.file_utils import walk_mutatable_files
from mutmut.utils.format_utils import get_mutant_name
names = {}
for path in sorted(walk_mutatable_files()):
    mutated = mutate_file_contents(str(path), path.read_text(encoding="utf-8"))
    names[str(path)] = [get_mutant_name(path, name) for name in mutated.mutant_names]
print(json.dumps(names))
"""
# mutmut's words for a mutant's result; "caught" counts killed and timeouts over these three.
TRIED = ("killed", "survived", "timeout")
Z_95 = 1.959964  # the normal quantile of a two-sided 95% interval
# A survivor of mutmut's run that a test of the selection mutmut did not run for it kills.
WHOLE_KILLED = "killed by the whole selection"
GONE = "gone with its code"  # a mutant of the sample whose function changed since the draw
WHOLE_TIMEOUT_S = 1800  # one mutant's run of the whole selection (a full pass is minutes)


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(item) for item in items) + "]"


def unmutated(stage: str, module: str | None, package: Path | None = None) -> list[str]:
    """The package's files and folders mutmut does not mutate, as `kkpgen/...` paths.

    mutmut copies the package into `mutants/` once and never again over a file that is
    there: a second run in the same work folder would test the stage against the rest of
    the package as it was at the first (a KKP catalog or a module changed since). Listed in
    `also_copy`, they are copied afresh at every run; the stage (or module) mutmut mutates
    is left to mutmut, which keeps it current by its own hashes."""
    package = package or ROOT / "generator"
    stage_folder = package / stage
    entries = sorted(package.iterdir())
    if module:  # the stage's other modules and subfolders are copied too
        entries = [e for e in entries if e != stage_folder] + sorted(stage_folder.iterdir())
        mutated = stage_folder / f"{module}.py"
    else:
        mutated = stage_folder
    kept = (e for e in entries if e != mutated and e.name != "__pycache__")
    return [f"kkpgen/{entry.relative_to(package).as_posix()}" for entry in kept]


def mutmut_table(stage: str, module: str | None, tests: list[str]) -> str:
    """The [tool.mutmut] table: mutate one stage (or module), run only `tests`."""
    only = f"kkpgen/{stage}/{module}.py" if module else f"kkpgen/{stage}/*"
    # the charts are a link inside the package (listed with the rest): copy what it points
    # to; a test reads KKP's patch table by its path in the checkout
    copied = [*unmutated(stage, module), "generator/kkp/data", *COPIED]
    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["kkpgen"]\n'
        f"only_mutate = {_toml_list([only])}\n"
        f"also_copy = {_toml_list(copied)}\n"
        f"pytest_add_cli_args_test_selection = {_toml_list(tests)}\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q"]\n'
        # fork each mutant's run from a process that only collected the tests: forked from
        # mutmut's own, which ran them all, a run read what the process kept (go_yaml's
        # texts, the dump's value forms) instead of running the mutated code
        'process_isolation = "forkserver"\n'
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


def pytest_environment() -> dict[str, str]:
    """This process's environment, with unused snapshots only warned of: a run of part of
    the tests (mutmut's listing, a run stopped at its first failure) leaves most unused."""
    options = f"{os.environ.get('PYTEST_ADDOPTS', '')} --snapshot-warn-unused".strip()
    return {**os.environ, "PYTEST_ADDOPTS": options}


def run_mutmut(work: Path, arguments: list[str]) -> int:
    """`mutmut <arguments>` in the work folder. A run that finds mutmut's results lists the
    tests with `pytest --collect-only`, where syrupy counts every snapshot unused and fails:
    unused snapshots only warn (it changes no test, and mutmut keeps its results)."""
    mutmut = Path(sys.executable).parent / "mutmut"
    env = pytest_environment()
    return subprocess.run([str(mutmut), *arguments], cwd=work, check=False, env=env).returncode  # noqa: S603


def figures(work: Path) -> dict[str, int]:
    """mutmut's counts of the last run (killed, survived, no_tests, timeout, ...)."""
    mutmut = Path(sys.executable).parent / "mutmut"
    export = [str(mutmut), "export-cicd-stats"]
    subprocess.run(export, cwd=work, check=True, capture_output=True)  # noqa: S603  our venv's
    stats = json.loads((work / "mutants" / "mutmut-cicd-stats.json").read_text())
    return {key: int(value) for key, value in stats.items() if isinstance(value, int)}


def all_mutants(work: Path) -> dict[str, list[str]]:
    """Every mutant of the work folder's stage (or module), by source file."""
    listing = [sys.executable, "-c", LIST_MUTANTS]
    done = subprocess.run(listing, cwd=work, check=True, capture_output=True, text=True)  # noqa: S603
    names: dict[str, list[str]] = json.loads(done.stdout)
    return names


def draw_sample(names: Iterable[str], size: int, seed: int, skip: Iterable[str] = ()) -> list[str]:
    """`size` of `names` picked uniformly at random, the same ones for the same seed.

    Names matching a `skip` pattern (mutants that break mutmut's runner) are left out first.
    """
    patterns = list(skip)
    population = sorted(
        name for name in names if not any(fnmatch.fnmatch(name, p) for p in patterns)
    )
    picked = random.Random(seed).sample(population, min(size, len(population)))  # noqa: S311
    return sorted(picked)


def wilson(caught: int, tried: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a share `caught / tried` (sound near 0% and 100%)."""
    if tried <= 0 or not 0 <= caught <= tried:
        raise ValueError(f"no interval for {caught} of {tried}")
    share = caught / tried
    scale = 1 + z * z / tried
    centre = (share + z * z / (2 * tried)) / scale
    half = z * math.sqrt(share * (1 - share) / tried + z * z / (4 * tried * tried)) / scale
    return max(0.0, centre - half), min(1.0, centre + half)


def results(work: Path) -> dict[str, str]:
    """mutmut's result of every mutant in the work folder ("killed", "survived", ...)."""
    mutmut = Path(sys.executable).parent / "mutmut"
    listing = [str(mutmut), "results", "--all", "true"]
    done = subprocess.run(listing, cwd=work, check=True, capture_output=True, text=True)  # noqa: S603
    return parse_results(done.stdout)


def parse_results(text: str) -> dict[str, str]:
    """`mutmut results` lines, `    <mutant>: <status>`, by mutant."""
    pairs = (line.strip().rpartition(": ") for line in text.splitlines())
    return {name: status for name, _, status in pairs if name}


def sample_report(
    status_by_name: Mapping[str, str],
    sample: Iterable[str],
    whole: Mapping[str, str] | None = None,
    gone: Iterable[str] = (),
) -> list[str]:
    """The lines that tell a sample's counts, the share caught and its 95% interval.

    `whole`: the survivors' results against the whole selection (--whole-selection); one
    killed there counts as caught, under its own name. `gone`: mutants of the sample that
    the code no longer has (the function they mutated changed since the draw)."""
    statuses = {name: status_by_name.get(name, "not run") for name in sample}
    for name, status in (whole or {}).items():
        if statuses.get(name) == "survived" and status == "killed":  # not a slow run
            statuses[name] = WHOLE_KILLED
    statuses |= {name: GONE for name in gone if name in statuses}
    counts = Counter(statuses.values())
    tried = sum(counts[status] for status in (*TRIED, WHOLE_KILLED))
    caught = counts["killed"] + counts["timeout"] + counts[WHOLE_KILLED]
    lines = [", ".join(f"{status} {n}" for status, n in sorted(counts.items()))]
    if tried:
        low, high = wilson(caught, tried)
        lines.append(
            f"caught {caught} of {tried} tested: {100 * caught / tried:.1f}% "
            f"(95% interval {100 * low:.1f}% to {100 * high:.1f}%, Wilson)"
        )
    survivors = sorted(name for name, status in statuses.items() if status == "survived")
    return lines + [f"survived: {name}" for name in survivors]


def drawn_sample(work: Path, args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """The sample (drawn once: its list is kept, so a later run after a change to the code
    tests the same mutants), and those of it the code no longer has."""
    population = {name for names in all_mutants(work).values() for name in names}
    listed = work / f"sample-{args.seed}-{args.sample}.txt"
    if listed.is_file():
        sample = listed.read_text(encoding="utf-8").split()
    else:
        sample = draw_sample(population, args.sample, args.seed, args.skip)
        listed.write_text("".join(f"{name}\n" for name in sample), encoding="utf-8")
    print(f"sample of {len(sample)} of {len(population)} mutants (seed {args.seed}): {listed}")  # noqa: T201
    return sample, [name for name in sample if name not in population]


def run_sample(work: Path, args: argparse.Namespace) -> int:
    """Run `args.sample` mutants of the stage picked with `args.seed`; print the estimate.

    `args.survivors`: run only the sample's mutants that survived (or were not run) before,
    to see what tests added since catch; the others' results stand (a test added kills, it
    never brings a mutant back)."""
    sample, gone = drawn_sample(work, args)
    chosen = [name for name in sample if name not in gone]
    if args.survivors:
        before = results(work)
        chosen = [name for name in chosen if before.get(name) in ("survived", "not checked")]
    run = ["run", "--max-children", str(args.max_children)]
    start = time.monotonic()
    status = run_mutmut(work, [*run, *chosen]) if chosen else 0
    # mutmut makes the mutants of a changed function again as it starts a run: a result read
    # before it was the old code's, so those now not checked are run too
    after = results(work)
    changed = [name for name in sample if name not in gone and after.get(name) == "not checked"]
    if changed and not status:
        status = run_mutmut(work, [*run, *changed])
    minutes = (time.monotonic() - start) / 60
    ran = len(set(chosen) | set(changed))
    print(f"{ran} run in {minutes:.0f} min")  # noqa: T201  a command-line tool
    final = results(work) if changed else after  # read again only after a second run
    print("\n".join(sample_report(final, sample, gone=gone)))  # noqa: T201
    return status


def pytest_status(returncode: int) -> str:
    """pytest's exit code as a mutant's result: 1 is a test that failed, 0 none."""
    return {0: "survived", 1: "killed"}.get(returncode, f"error (pytest exit {returncode})")


def run_with_mutant(work: Path, name: str, tests: list[str]) -> str:
    """Run the whole selection in mutmut's copy with mutant `name` switched on (its
    MUTANT_UNDER_TEST switch; "" switches none), stopping at the first failure."""
    env = {**pytest_environment(), "MUTANT_UNDER_TEST": name}
    with tempfile.TemporaryDirectory(prefix="whole-", dir=work) as private:
        command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
        command += [f"--basetemp={private}/t", *tests]
        try:
            done = subprocess.run(  # noqa: S603  our venv's python
                command,
                cwd=work / "mutants",
                env=env,
                check=False,
                capture_output=True,
                timeout=WHOLE_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            return "timeout"
    return pytest_status(done.returncode)


def run_whole_selection(work: Path, args: argparse.Namespace, tests: list[str]) -> int:
    """Run each of the sample's survivors against every test of the selection.

    mutmut runs a mutant only against the tests its first, plain run saw reach the mutated
    function; a test that reaches it through a value made before it (a module's fixture, a
    render kept by a cache) is not among them. This run asks every test."""
    sample, gone = drawn_sample(work, args)
    before = results(work)
    survivors = [n for n in sample if before.get(n) == "survived" and n not in gone]
    if run_with_mutant(work, "", tests) != "survived":  # the selection passes unmutated
        print("the selection fails without a mutant: nothing to tell", file=sys.stderr)  # noqa: T201
        return 1
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.max_children) as pool:
        statuses = pool.map(lambda name: run_with_mutant(work, name, tests), survivors)
        found = dict(zip(survivors, statuses, strict=True))
    kept = work / f"whole-{args.seed}-{args.sample}.json"
    kept.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    minutes = (time.monotonic() - start) / 60
    print(f"{len(survivors)} survivors run against the whole selection in {minutes:.0f} min")  # noqa: T201
    print("\n".join(f"{status}: {name}" for name, status in sorted(found.items())))  # noqa: T201
    print("\n".join(sample_report(before, sample, found, gone)))  # noqa: T201
    return 0


def run_all(work: Path, max_children: int) -> int:
    """Run every mutant of the work folder not run yet; print mutmut's counts."""
    status = run_mutmut(work, ["run", "--max-children", str(max_children)])
    counts = figures(work)
    tried = sum(counts.get(key, 0) for key in TRIED)
    caught = counts.get("killed", 0) + counts.get("timeout", 0)
    print(json.dumps(counts, sort_keys=True))  # noqa: T201  a command-line tool
    if tried:
        share = f"{100 * caught / tried:.0f}%"
        print(f"{caught} of {tried} mutants caught ({share}); in {work}")  # noqa: T201
    return status


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=STAGES)
    parser.add_argument("--module", help="one module of the stage, e.g. record")
    parser.add_argument("--tests", nargs="+", help="the tests to run (default: the stage's)")
    parser.add_argument(
        "--leave-out", nargs="+", default=[], help="test ids to leave out (slow property tests)"
    )
    parser.add_argument("--max-children", type=int, default=2, help="parallel workers")
    parser.add_argument("--sample", type=int, help="run this many mutants picked at random")
    parser.add_argument("--seed", type=int, default=1, help="the sample's random seed")
    parser.add_argument(
        "--skip", nargs="+", default=[], help="mutant name patterns left out of the sample"
    )
    parser.add_argument(
        "--survivors", action="store_true", help="run only the sample's survivors again"
    )
    parser.add_argument(
        "--whole-selection",
        action="store_true",
        help="run the sample's survivors against every test of the selection",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    tests = selection(args.stage, args.tests, args.leave_out)
    work = prepare(args.stage, args.module, tests)
    if args.sample and args.whole_selection:
        return run_whole_selection(work, args, tests)
    if args.sample:
        return run_sample(work, args)
    return run_all(work, args.max_children)


if __name__ == "__main__":
    sys.exit(main())
