"""SourceTree at a ref (one ls-tree, one cat-file --batch), or from the work tree."""

from __future__ import annotations

import os
import posixpath
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from kkpgen.diagnostics import Diagnostic, ExitCode, KkpgenError, Location
from kkpgen.source.sourcemap import MAX_FILE_BYTES

CONFIG_FILE = "kubermatic.yaml"
CLUSTERS_DIR = "clusters"
_SPEC_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str  # POSIX path relative to the repository folder kkpgen reads
    data: bytes


@dataclass(frozen=True, slots=True)
class SourceTree:
    ref: str | None  # None: the work tree
    files: tuple[SourceFile, ...]  # sorted by path


def is_spec_path(path: str) -> bool:
    """kkpgen reads kubermatic.yaml and every YAML file below clusters/."""
    if path == CONFIG_FILE:
        return True
    return path.startswith(f"{CLUSTERS_DIR}/") and path.endswith(_SPEC_SUFFIXES)


def _git_env() -> dict[str, str]:
    # A GIT_DIR or GIT_INDEX_FILE inherited from a hook would point git at another
    # repository (pre-commit's no_git_env does the same).
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["LC_ALL"] = "C"
    return env


def _env_error(repo: Path, message: str, hint: str, code: str = "git.failed") -> KkpgenError:
    diagnostic = Diagnostic(code, Location(str(repo)), "", message, hint)
    return KkpgenError([diagnostic], exit_code=ExitCode.ENVIRONMENT)


def _git(repo: Path, args: Sequence[str], stdin: bytes | None = None) -> bytes:
    try:
        result = subprocess.run(
            ["git", "-C", str(repo), *args],
            input=stdin,
            capture_output=True,
            env=_git_env(),
            check=False,
        )
    except FileNotFoundError:
        raise _env_error(repo, "git is not installed", "install git and re-run") from None
    if result.returncode != 0:
        stderr = result.stderr.decode("utf-8", "replace").strip()
        raise _env_error(repo, f"git {args[0]} failed: {stderr}", "check --repo and the ref")
    return result.stdout


def _resolve_ref(repo: Path, ref: str) -> str:
    try:
        return (
            _git(repo, ["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"]).decode().strip()
        )
    except KkpgenError:
        if not _is_work_tree(repo):
            raise _env_error(
                repo,
                f"{repo} is not a git repository, so --ref/--base {ref!r} cannot be read",
                "run kkpgen inside a git clone of the GitOps repository (or pass --repo), "
                "or leave out --ref/--base to read the files as they are",
                "git.not-a-repository",
            ) from None
        shallow = (repo / ".git" / "shallow").exists() or _is_shallow(repo)
        hint = (
            f"ref {ref!r} is not in this clone; it is shallow: fetch the history with "
            "`git fetch --unshallow` (or actions/checkout with fetch-depth: 0)"
            if shallow
            else _fetch_hint(repo, ref)
        )
        raise _env_error(repo, f"unknown git ref {ref!r}", hint, "git.ref-not-found") from None


def _is_work_tree(repo: Path) -> bool:
    try:
        return _git(repo, ["rev-parse", "--is-inside-work-tree"]).strip() == b"true"
    except KkpgenError:
        return False


def _fetch_hint(repo: Path, ref: str) -> str:
    """A fetch command that creates `ref`: `git fetch origin origin/main` is no refspec."""
    try:
        remotes = _git(repo, ["remote"]).decode().split()
    except KkpgenError:
        remotes = []
    remote, _, branch = ref.partition("/")
    if remote in remotes and branch:
        return (
            f"ref {ref!r} not found; fetch it with "
            f"`git fetch {remote} +refs/heads/{branch}:refs/remotes/{remote}/{branch}`, "
            "or check the name (`git branch -a` lists the refs)"
        )
    return (
        f"ref {ref!r} not found; check the name (`git branch -a` lists the refs); a branch "
        "of the remote is named like origin/main, after "
        "`git fetch origin +refs/heads/main:refs/remotes/origin/main`"
    )


def _is_shallow(repo: Path) -> bool:
    try:
        return _git(repo, ["rev-parse", "--is-shallow-repository"]).strip() == b"true"
    except KkpgenError:
        return False


@dataclass(frozen=True, slots=True)
class _Blob:
    mode: str
    kind: str
    oid: str
    size: int


def _listing(repo: Path, commit: str, ref: str) -> dict[str, _Blob]:
    """Every entry of the commit, by path (links resolve to any file of the repository)."""
    listing = _git(repo, ["ls-tree", "-r", "-z", "-l", commit])  # paths relative to --repo
    entries: dict[str, _Blob] = {}
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, raw_path = entry.partition(b"\t")
        mode, kind, oid, size = meta.decode().split()
        path = raw_path.decode("utf-8", "surrogateescape")
        if kind == "commit" and path.startswith(f"{CLUSTERS_DIR}/"):
            raise _submodule(path, ref)
        entries[path] = _Blob(mode, kind, oid, int(size) if size.isdigit() else 0)
    return entries


def _read_committed(repo: Path, ref: str) -> SourceTree:
    commit = _resolve_ref(repo, ref)
    entries = _listing(repo, commit, ref)
    wanted: list[tuple[str, str]] = []
    links: dict[str, str] = {}  # spec path -> path of the link being followed
    for path, blob in entries.items():
        if blob.kind != "blob" or not is_spec_path(path):
            continue
        if blob.mode == "120000":
            links[path] = path
        else:
            wanted.append((path, _checked_size(path, blob, ref).oid))
    wanted += _follow_links(repo, links, entries, ref)
    blobs = _cat_blobs(repo, [oid for _, oid in wanted])
    files = tuple(SourceFile(path, blob) for (path, _), blob in zip(wanted, blobs, strict=True))
    return SourceTree(ref, tuple(sorted(files, key=lambda f: f.path)))


def _checked_size(path: str, blob: _Blob, ref: str | None) -> _Blob:
    if blob.size > MAX_FILE_BYTES:  # checked before `cat-file` reads it into memory
        raise _too_large(path, blob.size, ref)
    return blob


_LINK_HOPS = 8  # links to links followed; a longer chain is a loop


def _follow_links(
    repo: Path, links: dict[str, str], entries: dict[str, _Blob], ref: str
) -> list[tuple[str, str]]:
    """Committed links resolved as the work tree resolves them: to a file inside the
    repository, relative to the link's folder (a link the work tree read, `--ref HEAD`
    refused: pre-commit and `diff` disagreed about one commit, issue 23)."""
    found: list[tuple[str, str]] = []
    for _ in range(_LINK_HOPS):
        if not links:
            return found
        targets = _cat_blobs(repo, [entries[at].oid for at in links.values()])
        following: dict[str, str] = {}
        for (path, at), raw in zip(links.items(), targets, strict=True):
            target = _link_target(at, raw)
            blob = None if target is None else entries.get(target)
            if target is None or blob is None or blob.kind != "blob":
                raise _link_out(path, ref)
            if blob.mode == "120000":
                following[path] = target
            else:
                found.append((path, _checked_size(path, blob, ref).oid))
        links = following
    if links:
        raise _link_out(next(iter(links)), ref)
    return found


def _link_target(link: str, raw: bytes) -> str | None:
    """The repository path a committed link names; None when it leaves the repository."""
    text = raw.decode("utf-8", "surrogateescape")
    if text.startswith("/"):
        return None
    target = posixpath.normpath(posixpath.join(posixpath.dirname(link), text))
    return None if target == ".." or target.startswith("../") else target


def _link_out(path: str, ref: str | None) -> KkpgenError:
    return KkpgenError(
        [
            Diagnostic(
                "source.symlink",
                Location(path, None, None, ref),
                "",
                "symbolic link points outside the repository, or nowhere",
                "replace the link with the file itself (commit the file itself)",
            )
        ]
    )


def _cat_blobs(repo: Path, oids: Sequence[str]) -> list[bytes]:
    if not oids:
        return []
    out = _git(repo, ["cat-file", "--batch"], stdin="".join(f"{o}\n" for o in oids).encode())
    blobs: list[bytes] = []
    position = 0
    for _ in oids:
        header_end = out.index(b"\n", position)
        size = int(out[position:header_end].split()[2])
        start = header_end + 1
        blobs.append(out[start : start + size])
        position = start + size + 1  # the blob is followed by a newline
    return blobs


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve(strict=True).is_relative_to(root)
    except (OSError, RuntimeError):  # a dangling link or a link loop
        return False


@dataclass(frozen=True, slots=True)
class _Candidate:
    path: str  # absolute
    link: bool
    file: bool  # a regular file (a link is looked at once it is known to stay inside)


def _candidate(entry: os.DirEntry[str]) -> _Candidate:
    link = entry.is_symlink()
    return _Candidate(entry.path, link, not link and entry.is_file(follow_symlinks=False))


def _candidates(root: Path) -> Iterator[_Candidate]:
    """kubermatic.yaml and the YAML paths below clusters/, not descending into linked
    folders; by os.scandir, whose entries know their type without a stat call each."""
    with os.scandir(root) as entries:
        yield from (_candidate(e) for e in entries if e.name == CONFIG_FILE)
    folders = [str(root / CLUSTERS_DIR)] if (root / CLUSTERS_DIR).is_dir() else []
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.name == ".git":  # a submodule's work tree (a .git file or folder)
                    raise _submodule(entry.path[len(str(root)) + 1 :].rpartition("/")[0], None)
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.path)
                elif entry.name.endswith(_SPEC_SUFFIXES):
                    yield _candidate(entry)


def _too_large(path: str, size: int, ref: str | None) -> KkpgenError:
    """Refused by its size, before it is read: a multi-GB file is never loaded whole."""
    return KkpgenError(
        [
            Diagnostic(
                "yaml.too-large",
                Location(path, None, None, ref),
                "",
                f"file is {size} bytes, more than the {MAX_FILE_BYTES} allowed",
                "split the file; one cluster spec is a few kilobytes",
            )
        ]
    )


def _submodule(path: str, ref: str | None) -> KkpgenError:
    """A submodule's files are in the work tree but not in the commit: refuse it in both,
    so that `--ref` and the work tree never read different fleets."""
    return KkpgenError(
        [
            Diagnostic(
                "source.submodule",
                Location(path, None, None, ref),
                "",
                "a git submodule below clusters/: its spec files are not part of this "
                "repository's commits",
                "commit the spec files into this repository instead of a submodule",
            )
        ]
    )


def _read_bytes(path: str, relative: str) -> bytes:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(descriptor).st_size
        if size > MAX_FILE_BYTES:
            raise _too_large(relative, size, None)
        chunks = []
        while chunk := os.read(descriptor, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def _relative_chain(path: str) -> bool:
    """Each link on the way names its target relatively, as a commit can hold it: an
    absolute link inside the repository cannot be read at a ref (issue 23)."""
    for _ in range(_LINK_HOPS):
        if not os.path.islink(path):  # noqa: PTH114  a string path from scandir
            return True
        target = os.readlink(path)  # noqa: PTH115
        if target.startswith("/"):
            return False
        path = os.path.join(os.path.dirname(path), target)  # noqa: PTH118, PTH120
    return False


def _linked_clusters(root: Path) -> None:
    """clusters/ as a link: the work tree reads the files it names, a commit holds only the
    link, so `--ref` would read no spec at all (the readings must agree: issue 23)."""
    if (root / CLUSTERS_DIR).is_symlink() and _inside(root / CLUSTERS_DIR, root):
        raise KkpgenError(
            [
                Diagnostic(
                    "source.symlink",
                    Location(CLUSTERS_DIR),
                    "",
                    "clusters/ is a symbolic link: git commits the link, not the spec files",
                    f"move the spec files into {CLUSTERS_DIR}/ itself and remove the link",
                )
            ]
        )


def _read_work_tree(repo: Path) -> SourceTree:
    root = repo.resolve()
    if not root.is_dir():
        raise _env_error(repo, f"{repo} is not a folder", "pass --repo the GitOps repository")
    _linked_clusters(root)
    files: list[SourceFile] = []
    prefix = len(str(root)) + 1
    folders: dict[str, bool] = {}  # resolved once per folder, not per file: 10,000 files
    for found in _candidates(root):
        relative = found.path[prefix:]
        folder = found.path[: found.path.rindex("/")]
        if folder not in folders:  # a link to a folder on the way (clusters/ itself)
            folders[folder] = _inside(Path(folder), root)
        if not folders[folder] or (
            found.link and not (_inside(Path(found.path), root) and _relative_chain(found.path))
        ):
            raise KkpgenError(
                [
                    Diagnostic(
                        "source.symlink",
                        Location(relative),
                        "",
                        "symbolic link points outside the repository, or nowhere",
                        "replace the link with the file itself",
                    )
                ]
            )
        if found.link and not Path(found.path).is_file():  # a folder: a commit names no file
            raise _link_out(relative, None)
        if found.file or found.link:
            files.append(SourceFile(relative, _read_bytes(found.path, relative)))
    return SourceTree(None, tuple(sorted(files, key=lambda f: f.path)))


def read_tree(repo: Path, ref: str | None) -> SourceTree:
    """The spec files of `repo` at `ref` (committed), or in the work tree when ref is None."""
    tree = _read_work_tree(repo) if ref is None else _read_committed(repo, ref)
    pointers = [f for f in tree.files if f.data.startswith(_LFS_POINTER)]
    if pointers:
        raise KkpgenError([_lfs_pointer(f.path, ref) for f in pointers])
    return tree


# The first line of a Git LFS pointer file (git-lfs docs/spec.md): the spec is in LFS storage.
_LFS_POINTER = b"version https://git-lfs.github.com/spec/v1\n"


def _lfs_pointer(path: str, ref: str | None) -> Diagnostic:
    return Diagnostic(
        "source.lfs-pointer",
        Location(path, 1, None, ref),
        "",
        "a Git LFS pointer, not the spec file: its content is in LFS storage",
        "keep spec files out of Git LFS (remove their pattern from .gitattributes), or fetch "
        "them first: `git lfs pull` (actions/checkout: `lfs: true`)",
    )
