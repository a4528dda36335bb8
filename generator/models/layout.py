"""The output tree's layout: every path kkpgen writes or reads below <out> is built and parsed
here and nowhere else (issue 20).

```
<out>/.kkpgen-output                          OWNER_MARKER: the folder is kkpgen's
<out>/<cluster>/.kkpgen-cluster               CLUSTER_RECORD: what the folder was rendered from
<out>/<cluster>/resolved.yaml                 RESOLVED: the resolved KKP Cluster
<out>/<cluster>/<destination>/kustomization.yaml
<out>/<cluster>/<destination>/argocd.json     TARGET_FILE: an ApplicationSet generator's input
<out>/<cluster>/<destination>/<chart>/<kind>-<name>.yaml
<out>/argocd/<name>.yaml                      ARGOCD_DIR: the Argo CD objects
```
Paths are relative to <out>, with "/" separators, whatever the platform.
"""

from __future__ import annotations

OWNER_MARKER = ".kkpgen-output"  # kkpgen only ever replaces a folder that carries this file
# Inside each cluster's folder: the inputs it was rendered from. It moves with the folder in
# the same rename or exchange, so a folder and its record can never disagree (issue 14).
CLUSTER_RECORD = ".kkpgen-cluster"
# The fleet-wide record of kkpgen 0.1 (issue 22: every render rewrote it, so any two pull
# requests conflicted). kkpgen removes it; `render --check` names it as stale.
LEGACY_INPUTS_FILE = ".kkpgen-inputs.json"
ARGOCD_DIR = "argocd"
RESOLVED = "resolved.yaml"  # the resolved KKP Cluster: not a manifest, never validated
KUSTOMIZATION = "kustomization.yaml"  # kustomize's build file of a destination folder
TARGET_FILE = "argocd.json"  # beside kustomization.yaml: not a resource, so never applied
# Top-level names that are no cluster: a cluster may not be named like one of them.
RESERVED_NAMES = frozenset({ARGOCD_DIR})
# What kkpgen writes (or wrote) at the top of <out> beside the cluster folders; anything else
# there is not kkpgen's, and a render keeps it as it is (issue 23).
TOP_ENTRIES = frozenset({OWNER_MARKER, LEGACY_INPUTS_FILE, ARGOCD_DIR})


def manifest_path(cluster: str, destination: str, chart: str, file_name: str) -> str:
    return f"{cluster}/{destination}/{chart}/{file_name}"


def manifest_file_name(kind: str, name: str) -> str:
    """`<kind>-<name>.yaml`, lowercase, ":" (in RBAC names) as "-" (the output contract)."""
    return f"{kind}-{name}.yaml".lower().replace(":", "-")


def kustomization_path(cluster: str, destination: str) -> str:
    return f"{cluster}/{destination}/{KUSTOMIZATION}"


def target_path(cluster: str, destination: str) -> str:
    return f"{cluster}/{destination}/{TARGET_FILE}"


def target_glob(root: str, destination: str) -> str:
    """What an ApplicationSet's git files generator matches below the tree's path `root`."""
    return f"{root}/*/{destination}/{TARGET_FILE}"


def resolved_path(cluster: str) -> str:
    return f"{cluster}/{RESOLVED}"


def record_path(cluster: str) -> str:
    return f"{cluster}/{CLUSTER_RECORD}"


def argocd_path(file_name: str) -> str:
    return f"{ARGOCD_DIR}/{file_name}"


def application_file_name(cluster: str, destination: str) -> str:
    return f"application-{cluster}-{destination}.yaml"


def application_glob(cluster: str) -> str:
    """The file names of one cluster's Applications under argocd/."""
    return f"application-{cluster}-*.yaml"


def destination_folder(root: str, cluster: str, destination: str) -> str:
    """A destination's folder as Argo CD sees it: below the tree's path `root` in the repo."""
    return f"{root.strip('/')}/{cluster}/{destination}"


def argocd_folder(root: str) -> str:
    return f"{root.strip('/')}/{ARGOCD_DIR}"


def group_of(path: str) -> str:
    """The top folder of a path: a cluster's name, or "argocd"; "" for a file at the top."""
    top, slash, _ = path.partition("/")
    return top if slash else ""


def folder_of(path: str) -> tuple[str, str]:
    """("c1", "seed") for "c1/seed/canal/daemonset-x.yaml": a cluster and its destination."""
    cluster, _, rest = path.partition("/")
    return cluster, rest.partition("/")[0]


def is_cluster_group(name: str) -> bool:
    """A top folder that holds a cluster's output (not argocd/, not the markers)."""
    return bool(name) and name not in RESERVED_NAMES and not name.startswith(".")


def is_manifest(path: str) -> bool:
    """A rendered Kubernetes object: not the record, the resolved Cluster, the kustomization
    or an ApplicationSet's target file."""
    name = path.rpartition("/")[2]
    if name in (KUSTOMIZATION, TARGET_FILE, CLUSTER_RECORD) or name.startswith("."):
        return False
    return not (path.count("/") == 1 and name == RESOLVED and group_of(path) != ARGOCD_DIR)
