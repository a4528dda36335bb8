"""Class 3: secrets never reach the output (issue 14).

Credentials planted in every input: URLs with user info are refused with a clear error;
spec.cloud credentials are accepted (KKP keeps them there) but resolved.yaml keeps only the
provider's name; and a scan of every output file finds none of the planted secrets.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CONFIG, cluster_yaml
from tests.good_fleet import GoodFleet, assert_out_untouched, assert_rejected

SECRET = "s3cr3t-Planted-7f1c"  # noqa: S105  planted on purpose, so the scan can find it
CLOUD = {
    "aws": f"aws: {{accessKeyID: AKIA{SECRET}, secretAccessKey: {SECRET}-key}}",
    "openstack": f"openstack: {{username: admin, password: {SECRET}, domain: default}}",
    "kubevirt": f"kubevirt: {{kubeconfig: {SECRET}-kubeconfig}}",
}


def _scan(out: Path) -> list[str]:
    return [
        p.relative_to(out).as_posix()
        for p in sorted(out.rglob("*"))
        if p.is_file() and SECRET.encode() in p.read_bytes()
    ]


@pytest.mark.parametrize("provider", list(CLOUD))
def test_cloud_credentials_never_reach_the_output(good_fleet: GoodFleet, provider: str) -> None:
    good_fleet.write({"clusters/bad.yaml": cluster_yaml("bad", cloud=CLOUD[provider])})
    result = good_fleet.render()
    assert result.exit_code == 0, result.stderr
    assert _scan(good_fleet.out) == []
    resolved = (good_fleet.out / "bad" / "resolved.yaml").read_text()
    assert f"    {provider}: {{}}\n" in resolved
    assert SECRET not in result.output


URL_CASES = {
    # each case: the files written, then the code, file, line and field expected
    "token-in-address-url": (
        {
            "clusters/bad.yaml": cluster_yaml("bad")
            + f"address:\n  url: https://admin:{SECRET}@bad.kkp.example.com:6443\n"
        },
        "cluster.address.credentials",
        "clusters/bad.yaml",
        10,
        "address.url",
    ),
    "user-name-token-in-address-url": (
        {
            "clusters/bad.yaml": cluster_yaml("bad")
            + f"address:\n  url: https://{SECRET}@bad.kkp.example.com:6443\n"
        },
        "cluster.address.credentials",
        "clusters/bad.yaml",
        10,
        "address.url",
    ),
    "token-in-argocd-repo-url": (
        {
            "kubermatic.yaml": CONFIG.replace(
                "  annotations:\n",
                "  annotations:\n"
                f'    kkpgen/argocd-repo-url: "https://x-access-token:{SECRET}@github.com/o/r"\n',
            )
        },
        "config.url.credentials",
        "kubermatic.yaml",
        6,
        "metadata.annotations.kkpgen/argocd-repo-url",
    ),
    "token-in-apiserver-url-pattern": (
        {
            "kubermatic.yaml": CONFIG.replace(
                "https://{name}.kkp.example.com:6443",
                f"https://u:{SECRET}@{{name}}.kkp.example.com",
            )
        },
        "config.url.credentials",
        "kubermatic.yaml",
        7,
        "metadata.annotations.kkpgen/apiserver-url",
    ),
}


@pytest.mark.parametrize("case", list(URL_CASES.values()), ids=list(URL_CASES))
def test_a_url_with_credentials_is_refused_and_nothing_is_written(
    good_fleet: GoodFleet, case: tuple[dict[str, str], str, str, int, str]
) -> None:
    files, code, file, line, field = case
    good_fleet.write(files)  # type: ignore[arg-type]
    result = good_fleet.render()
    assert_rejected(result, code=code, file=file, line=line, field=field)
    assert_out_untouched(good_fleet)
    assert _scan(good_fleet.out) == []


def test_an_ssh_repository_url_with_a_user_and_no_password_is_accepted(
    good_fleet: GoodFleet,
) -> None:
    config = CONFIG.replace(
        "  annotations:\n",
        '  annotations:\n    kkpgen/argocd-repo-url: "ssh://git@github.com/o/r.git"\n',
    )
    good_fleet.write({"kubermatic.yaml": config})
    result = good_fleet.render()
    assert result.exit_code == 0, result.stderr
