"""deploy/kubernetes: every manifest valid (PyPI kubernetes-validate, strict, offline
schemas), listed in its kustomization, and holding the security and probe settings."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
from ruamel.yaml import YAML

from bot.engine.options import Shard
from tests.deploy.files import CONFIG, KUBERNETES, load_all, load_yaml

# The oldest version the manifests need (backoffLimitPerIndex) and a current one.
VERSIONS = ["1.29.0", "1.33.0"]
KUSTOMIZATIONS = sorted(KUBERNETES.rglob("kustomization.yaml"))
MANIFESTS = sorted(p for p in KUBERNETES.rglob("*.yaml") if p.name != "kustomization.yaml")


def _resources() -> dict[str, dict[str, Any]]:
    return {f"{d['kind']}/{d['metadata']['name']}": d for p in MANIFESTS for d in load_all(p)}


def _pod_specs() -> dict[str, dict[str, Any]]:
    specs = {}
    for key, doc in _resources().items():
        spec = doc.get("spec", {})
        template = spec.get("jobTemplate", {}).get("spec", spec).get("template")
        if template is not None:
            specs[key] = template["spec"]
    return specs


@pytest.mark.parametrize("path", KUSTOMIZATIONS, ids=lambda p: str(p.relative_to(KUBERNETES)))
def test_kustomization_lists_every_manifest_of_its_folder(path: Path) -> None:
    listed = set(load_yaml(path)["resources"])
    here = {p.name for p in MANIFESTS if p.parent == path.parent}
    assert listed == here
    components = {p.parent.name for p in KUSTOMIZATIONS if p.parent.parent == path.parent}
    assert all(f"- {name}" in path.read_text() for name in components), "components are named"


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: str(p.relative_to(KUBERNETES)))
def test_manifest_is_valid(path: Path, version: str) -> None:
    for document in load_all(path):
        kubernetes_validate.validate(document, version, strict=True)


def test_strict_validation_refuses_an_unknown_field() -> None:
    deployment = copy.deepcopy(_resources()["Deployment/dockmend"])
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSIONS[0], strict=True)


def _merge(base: Any, patch: Any) -> Any:
    """A strategic merge patch as kustomize applies it to these fields: mappings merge,
    null deletes, lists of named items merge by name."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = _merge(base.get(key), value)
        return merged
    if isinstance(base, list) and isinstance(patch, list) and all(isinstance(i, dict) and "name" in i for i in patch):
        by_name = {item["name"]: item for item in patch}
        kept = [_merge(item, by_name.pop(item["name"])) if item["name"] in by_name else item for item in base]
        return kept + list(by_name.values())
    return patch


def test_sqlite_component_gives_a_valid_single_replica_deployment() -> None:
    (patch,) = load_yaml(KUBERNETES / "sqlite" / "kustomization.yaml")["patches"]
    patched = _merge(_resources()["Deployment/dockmend"], YAML(typ="safe").load(patch["patch"]))
    kubernetes_validate.validate(patched, VERSIONS[0], strict=True)
    assert patched["spec"]["replicas"] == 1 and patched["spec"]["strategy"] == {"type": "Recreate"}
    (state,) = [v for v in patched["spec"]["template"]["spec"]["volumes"] if v["name"] == "state"]
    assert state == {"name": "state", "persistentVolumeClaim": {"claimName": "dockmend-state"}}
    assert "PersistentVolumeClaim/dockmend-state" in _resources()


def test_every_pod_is_locked_down() -> None:
    specs = _pod_specs()
    assert set(specs) == {"Deployment/dockmend", "CronJob/dockmend-weekly", "Job/dockmend-sharded"}
    for key, spec in specs.items():
        assert spec["automountServiceAccountToken"] is False and spec["serviceAccountName"] == "dockmend", key
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        (container,) = spec["containers"]
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True and context["allowPrivilegeEscalation"] is False, key
        assert context["capabilities"] == {"drop": ["ALL"]}
        volumes = {v["name"]: v for v in spec["volumes"]}
        mounts = {m["mountPath"]: volumes[m["name"]] for m in container["volumeMounts"]}
        assert "emptyDir" in mounts["/tmp"], key
        assert mounts["/etc/dockmend"]["configMap"]["name"] == "dockmend-config"
        assert container["envFrom"] == [{"secretRef": {"name": "dockmend"}}]
        assert container["args"][container["args"].index("--config") + 1] == "/etc/dockmend/dockmend.yaml"
    assert _resources()["ServiceAccount/dockmend"]["automountServiceAccountToken"] is False


def test_serve_probes_and_port() -> None:
    (container,) = _pod_specs()["Deployment/dockmend"]["containers"]
    assert container["args"][0] == "serve"
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert _resources()["Service/dockmend"]["spec"]["ports"][0]["targetPort"] == "http"


def test_network_policy_admits_only_the_web_port_and_needed_egress() -> None:
    spec = _resources()["NetworkPolicy/dockmend"]["spec"]
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert [rule["ports"] for rule in spec["ingress"]] == [[{"protocol": "TCP", "port": 8080}]]
    egress = {(p["protocol"], p["port"]) for rule in spec["egress"] for p in rule["ports"]}
    assert egress == {("UDP", 53), ("TCP", 53), ("TCP", 443), ("TCP", 5432)}
    assert all(set(rule) == {"ports"} for rule in spec["egress"])


def test_ingress_limits_bodies_and_connections_before_the_pod() -> None:
    ingress = _resources()["Ingress/dockmend"]
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/proxy-body-size"] == "1m"
    assert notes["nginx.ingress.kubernetes.io/proxy-request-buffering"] == "on"
    assert int(notes["nginx.ingress.kubernetes.io/limit-connections"]) > 0
    assert int(notes["nginx.ingress.kubernetes.io/limit-rps"]) > 0
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "dockmend", "port": {"name": "http"}}


def test_configmap_carries_the_checked_configuration() -> None:
    data = _resources()["ConfigMap/dockmend-config"]["data"]
    assert data == {"dockmend.yaml": CONFIG.read_text(encoding="utf-8")}


def test_cronjob_runs_weekly() -> None:
    cronjob = _resources()["CronJob/dockmend-weekly"]["spec"]
    _minute, _hour, day, month, weekday = cronjob["schedule"].split()
    assert (day, month) == ("*", "*") and weekday.isdigit()
    assert cronjob["concurrencyPolicy"] == "Forbid"
    (container,) = cronjob["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["run", "--config", "/etc/dockmend/dockmend.yaml"]


def test_indexed_job_gives_each_pod_its_own_shard() -> None:
    job = _resources()["Job/dockmend-sharded"]["spec"]
    assert job["completionMode"] == "Indexed"
    (container,) = job["template"]["spec"]["containers"]
    args = container["args"]
    assert args[:3] == ["run", "--config", "/etc/dockmend/dockmend.yaml"]
    shard = args[args.index("--shard") + 1]
    match = re.fullmatch(r"\$\(JOB_COMPLETION_INDEX\)/(\d+)", shard)
    assert match, shard
    assert int(match.group(1)) == job["completions"] == job["parallelism"]
    # $(VAR) in args expands only from variables declared in the container's env.
    (index,) = [e for e in container["env"] if e["name"] == "JOB_COMPLETION_INDEX"]
    path = index["valueFrom"]["fieldRef"]["fieldPath"]
    assert path == "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    parts = [Shard.parse(shard.replace("$(JOB_COMPLETION_INDEX)", str(i))) for i in range(job["completions"])]
    assert [str(p) for p in parts] == [f"{i}/{job['completions']}" for i in range(job["completions"])]
