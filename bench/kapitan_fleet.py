"""The fleet laid out the way a team would write it for Kapitan, and compiled with `kapitan`.

Kapitan runs from its own virtualenv (KAPITAN_VENV, created once and reused), never from the
project's. The layout is derived from kkpgen's render so that both build the same objects:

    templates/<destination>/<chart>/<id>/<kind>-<name>.yaml
        jinja2 templates: an object's text with the cluster's own values (name, apiserver URL,
        Kubernetes version, pod and service CIDRs, their network addresses, the cluster DNS IP)
        replaced by {{ inventory.parameters.cluster.<key> }}; clusters whose objects then read
        the same share one template
    inventory/classes/<destination>/<chart>-<n>.yml
        one class per distinct set of templates of a chart: a `kapitan.compile` entry
        (input_type: jinja2) writing them to <destination>/<chart>
    inventory/targets/<cluster>.yml
        one target per cluster: its classes and its values under parameters.cluster

Templates are made by substituting each cluster's values back out of its own objects, so
rendering a template with the parameters of any cluster that shares it gives that cluster's
objects exactly (bench/compare_tools.py checks a sample).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.rendered import ClusterRender, objects_in_files

KAPITAN_VERSION = "0.36.3"
KAPITAN_VENV = Path.home() / ".cache" / "kkpgen-bench" / "kapitan-venv"
# reclass-rs: the faster inventory backend a team with a large inventory would pick
KAPITAN_REQUIREMENT = f"kapitan[reclass-rs]=={KAPITAN_VERSION}"


def kapitan_command() -> Path:
    """The kapitan script of KAPITAN_VENV, installing Kapitan there first if it is missing."""
    installed = KAPITAN_VENV.glob(f"lib/python*/site-packages/kapitan-{KAPITAN_VERSION}.dist-info")
    if not any(installed):
        print(f"installing {KAPITAN_REQUIREMENT} into {KAPITAN_VENV} (once)", flush=True)
        quietly([sys.executable, "-m", "venv", str(KAPITAN_VENV)])
        quietly([str(KAPITAN_VENV / "bin" / "pip"), "install", "-q", KAPITAN_REQUIREMENT])
    return KAPITAN_VENV / "bin" / "kapitan"


def quietly(command: list[str]) -> None:
    """Run an install step, showing its output only when it fails (pip warns a lot here)."""
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")


def cluster_parameters(cluster: ClusterRender) -> dict[str, str]:
    """The values that make one cluster's objects differ from another's: from resolved.yaml,
    and the kube-proxy `checksum/config` KKP computes from them (v2.30 and later), which a
    team would keep in the inventory rather than compute in jinja2."""
    resolved = cluster.resolved
    network = resolved["spec"]["clusterNetwork"]
    pods = network["pods"]["cidrBlocks"][0]
    services = network["services"]["cidrBlocks"][0]
    annotations = resolved["metadata"].get("annotations") or {}
    # the seed's tunnel NodePort (konnectivity-server or openvpn-server), as kkpgen reads it
    ports = [str(v) for k, v in annotations.items() if k.endswith("-server-port")]
    # the apiserver address is top-level up to KKP v2.21 and under status from v2.22
    address = resolved.get("address") or resolved["status"]["address"]
    daemonset = cluster.files["user-cluster"].get("kube-proxy/daemonset-kube-proxy.yaml", "")
    checksum = re.search(r"checksum/config: (\w+)", daemonset)
    return (
        ({"tunnel_port": ports[0]} if ports else {})
        | ({"proxy_config_hash": checksum.group(1)} if checksum else {})
        | {
            "name": resolved["metadata"]["name"],
            "apiserver_url": address["url"],
            "version": str(resolved["spec"]["version"]),
            "pods_cidr": pods,
            "services_cidr": services,
            "pods_network": pods.split("/")[0],
            "services_network": services.split("/")[0],
            # KKP's cluster DNS Service takes the tenth address of the service range
            "dns_ip": str(ipaddress.ip_network(services)[10]),
        }
    )


def templated(text: str, parameters: dict[str, str]) -> str:
    """text as a jinja2 template: parameter values become references, jinja markup is escaped."""
    key_of: dict[str, str] = {}
    for key, value in parameters.items():
        key_of.setdefault(value, key)
    values = sorted(key_of, key=len, reverse=True)  # longest first: a URL before the name in it
    pattern = re.compile(r"\{[{%#]|" + "|".join(re.escape(v) for v in values))

    def substitute(match: re.Match[str]) -> str:
        token = match.group()
        if token in key_of:
            return "{{ inventory.parameters.cluster." + key_of[token] + " }}"
        return "{{ '" + token + "' }}"

    return pattern.sub(substitute, text)


@dataclass
class KapitanProject:
    """Where the project was written, and what it holds."""

    root: Path
    targets: int = 0
    templates: set[str] = field(default_factory=set)
    classes: dict[tuple[str, tuple[str, ...]], str] = field(default_factory=dict)


def template_for(project: KapitanProject, destination: str, rel: str, text: str) -> str:
    """The template path (relative to the project) of this text, written the first time."""
    chart, name = rel.split("/", 1)
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    path = f"templates/{destination}/{chart}/{digest}/{name}"
    if path not in project.templates:
        (project.root / path).parent.mkdir(parents=True, exist_ok=True)
        (project.root / path).write_text(text)
        project.templates.add(path)
    return path


def write_yaml(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def class_for(project: KapitanProject, destination: str, chart: str, paths: list[str]) -> str:
    """The class compiling exactly these templates into <destination>/<chart>."""
    key = (f"{destination}/{chart}", tuple(paths))
    if key not in project.classes:
        name = f"{chart}-{sum(k[0] == key[0] for k in project.classes)}"
        entry = {"output_path": key[0], "input_type": "jinja2", "input_paths": paths}
        write_yaml(
            project.root / "inventory" / "classes" / destination / f"{name}.yml",
            {"parameters": {"kapitan": {"compile": [entry]}}},
        )
        project.classes[key] = f"{destination}.{name}"
    return project.classes[key]


def write_target(project: KapitanProject, cluster: ClusterRender) -> None:
    """inventory/targets/<cluster>.yml with the classes of the cluster's charts."""
    parameters = cluster_parameters(cluster)
    classes: list[str] = []
    for destination, files in cluster.files.items():
        charts: dict[str, list[str]] = {}
        for rel, text in sorted(files.items()):
            path = template_for(project, destination, rel, templated(text, parameters))
            charts.setdefault(rel.split("/", 1)[0], []).append(path)
        classes += [class_for(project, destination, c, p) for c, p in sorted(charts.items())]
    target = {
        "classes": classes,
        "parameters": {"kapitan": {"vars": {"target": cluster.name}}, "cluster": parameters},
    }
    write_yaml(project.root / "inventory" / "targets" / f"{cluster.name}.yml", target)
    project.targets += 1


def write_kapitan_project(clusters: list[ClusterRender], root: Path) -> KapitanProject:
    """templates/ and inventory/ under root, one target per cluster."""
    project = KapitanProject(root)
    for cluster in clusters:
        write_target(project, cluster)
    return project


def compile_fleet(kapitan: Path, project: KapitanProject, out: Path, backend: str) -> str:
    """One `kapitan compile` of every target into out/compiled/<cluster>/; returns Kapitan's
    own account of the time it took to render the inventory."""
    command = [str(kapitan), "compile", "--parallelism", "2", "--inventory-backend", backend]
    result = subprocess.run(
        [*command, "--output-path", str(out)],
        cwd=project.root,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    inventory = re.search(r"Rendered inventory \(([\d.]+s)\)", result.stderr)
    return inventory.group(1) if inventory else "?"


def compiled_objects(out: Path, cluster: str, destination: str) -> Counter[str]:
    """The objects Kapitan compiled for one cluster and destination."""
    return objects_in_files(sorted((out / "compiled" / cluster / destination).rglob("*.yaml")))
