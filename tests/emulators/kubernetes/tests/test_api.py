# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stand-in through the kubernetes python client (dynamic client), as kubernetes.core uses it."""

import base64
import json
import socket
import ssl
import time
import urllib.request

import pytest
import urllib3
import yaml
from kubernetes.client import CoreV1Api
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic.exceptions import ConflictError, NotFoundError, UnprocessibleEntityError

from tests.emulators.kubernetes.tests.conftest import TOKEN

NS = "apitest"


def deployment(name="web", image="ghcr.io/mastodon/mastodon:v4.7.2", replicas=1, **extra):
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": NS, "labels": {"app": name}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "web", "image": image, "env": [{"name": "A", "value": "1"}],
                                                           "ports": [{"containerPort": 3000}]}]}}}}
    body["spec"].update(extra)
    return body


def resource(dyn, api_version, kind):
    return dyn.resources.get(api_version=api_version, kind=kind)


@pytest.fixture(name="ns")
def namespace_fixture(dyn):
    resource(dyn, "v1", "Namespace").create(body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    return NS


def status_body(exc):
    return json.loads(exc.body)


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met within %s s" % timeout)


def wait_until(fetch, condition, timeout=5.0):
    """Poll ``fetch()`` until ``condition`` holds for what it returned; return that."""
    def check():
        item = fetch()
        return item if condition(item) else None
    return wait_for(check, timeout)


# -- discovery -------------------------------------------------------------------------------------------


def test_discovery_lists_every_kind_the_roles_use(dyn):
    expected = [("v1", "Namespace"), ("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "Service"), ("v1", "ServiceAccount"), ("v1", "Pod"),
                ("apps/v1", "Deployment"), ("batch/v1", "Job"), ("batch/v1", "CronJob"), ("policy/v1", "PodDisruptionBudget"),
                ("networking.k8s.io/v1", "NetworkPolicy"), ("autoscaling/v2", "HorizontalPodAutoscaler"),
                ("gateway.networking.k8s.io/v1", "GatewayClass"), ("gateway.networking.k8s.io/v1", "Gateway"),
                ("gateway.networking.k8s.io/v1", "HTTPRoute"), ("gateway.networking.k8s.io/v1beta1", "ReferenceGrant"),
                ("cert-manager.io/v1", "ClusterIssuer"), ("cert-manager.io/v1", "Issuer"), ("cert-manager.io/v1", "Certificate"),
                ("cert-manager.io/v1", "CertificateRequest"), ("apiextensions.k8s.io/v1", "CustomResourceDefinition")]
    for api_version, kind in expected:
        found = resource(dyn, api_version, kind)
        assert found.kind == kind
    assert resource(dyn, "apps/v1", "Deployment").namespaced
    assert not resource(dyn, "cert-manager.io/v1", "ClusterIssuer").namespaced
    assert "scale" in resource(dyn, "apps/v1", "Deployment").subresources
    assert "log" in resource(dyn, "v1", "Pod").subresources


def test_discovery_documents_have_the_servers_shape(emulator, tls_files):
    context = ssl.create_default_context(cafile=tls_files["ca"])

    def get(path, accept="application/json"):
        request = urllib.request.Request(emulator.url + path, headers={"Authorization": "Bearer sandbox-token-for-tests", "Accept": accept})
        with urllib.request.urlopen(request, context=context) as response:
            return json.load(response)

    assert get("/version")["minor"] == "33"
    groups = get("/apis")
    gateway = next(group for group in groups["groups"] if group["name"] == "gateway.networking.k8s.io")
    assert gateway["preferredVersion"]["version"] == "v1"
    assert [item["version"] for item in gateway["versions"]] == ["v1", "v1beta1"]
    apps = get("/apis/apps/v1")
    deploy = next(item for item in apps["resources"] if item["name"] == "deployments")
    assert deploy["shortNames"] == ["deploy"] and deploy["namespaced"] and "patch" in deploy["verbs"]
    aggregated = get("/apis", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json")
    assert aggregated["kind"] == "APIGroupDiscoveryList"
    crds = get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions")
    assert {item["metadata"]["name"] for item in crds["items"]} >= {"httproutes.gateway.networking.k8s.io", "certificates.cert-manager.io"}


def test_requests_without_the_token_get_401_status(emulator, tls_files):
    context = ssl.create_default_context(cafile=tls_files["ca"])
    request = urllib.request.Request(emulator.url + "/api/v1/namespaces", headers={"Authorization": "Bearer wrong"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, context=context)  # pylint: disable=consider-using-with
    assert caught.value.code == 401
    assert json.load(caught.value) == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "Unauthorized",
                                       "reason": "Unauthorized", "details": {}, "code": 401}


def test_tokens_minted_from_the_trusted_one_are_accepted_and_look_alikes_are_not(emulator, tls_files):
    context = ssl.create_default_context(cafile=tls_files["ca"])

    def status(token):
        request = urllib.request.Request(emulator.url + "/api/v1/namespaces", headers={"Authorization": "Bearer " + token})
        try:
            with urllib.request.urlopen(request, context=context) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    assert status(TOKEN + ".minted-for-a-kubeconfig") == 200
    assert status(TOKEN + "x") == 401
    assert status("other." + TOKEN) == 401


# -- CRUD, errors --------------------------------------------------------------------------------------------


def test_create_get_list_replace_delete_round_trip(dyn, ns):
    configmaps = resource(dyn, "v1", "ConfigMap")
    created = configmaps.create(namespace=ns, body={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "env"}, "data": {"A": "1"}})
    assert created.metadata.uid and created.metadata.resourceVersion and created.metadata.creationTimestamp
    listed = configmaps.get(namespace=ns)
    assert listed.kind == "ConfigMapList" and listed.apiVersion == "v1" and listed.metadata.resourceVersion
    assert "env" in [item.metadata.name for item in listed.items]
    body = created.to_dict()
    body["data"]["A"] = "2"
    replaced = configmaps.replace(namespace=ns, body=body)
    assert replaced.data.A == "2" and int(replaced.metadata.resourceVersion) > int(created.metadata.resourceVersion)
    configmaps.delete(namespace=ns, name="env")
    with pytest.raises(NotFoundError):
        configmaps.get(namespace=ns, name="env")


def test_error_statuses_have_the_servers_shape(dyn, ns):
    deployments = resource(dyn, "apps/v1", "Deployment")
    with pytest.raises(NotFoundError) as missing:
        deployments.get(namespace=ns, name="nope")
    assert status_body(missing.value) == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                          "message": 'deployments.apps "nope" not found', "reason": "NotFound",
                                          "details": {"name": "nope", "group": "apps", "kind": "deployments"}, "code": 404}
    created = deployments.create(body=deployment(), namespace=ns)
    with pytest.raises(ConflictError) as exists:
        deployments.create(body=deployment(), namespace=ns)
    assert status_body(exists.value)["reason"] == "AlreadyExists"
    assert status_body(exists.value)["message"] == 'deployments.apps "web" already exists'
    stale = created.to_dict()
    deployments.patch(namespace=ns, name="web", body={"spec": {"replicas": 2}}, content_type="application/merge-patch+json")
    with pytest.raises(ConflictError) as conflict:
        deployments.replace(namespace=ns, body=stale)
    assert status_body(conflict.value)["reason"] == "Conflict"
    assert "the object has been modified" in status_body(conflict.value)["message"]
    invalid = deployment(name="bad")
    invalid["spec"]["replicas"] = -1
    del invalid["spec"]["template"]["spec"]["containers"][0]["image"]
    with pytest.raises(UnprocessibleEntityError) as rejected:
        deployments.create(body=invalid, namespace=ns)
    status = status_body(rejected.value)
    assert status["reason"] == "Invalid" and status["code"] == 422
    assert status["details"]["kind"] == "Deployment" and status["details"]["group"] == "apps" and status["details"]["name"] == "bad"
    fields = {cause["field"]: cause for cause in status["details"]["causes"]}
    assert fields["spec.replicas"]["reason"] == "FieldValueInvalid"
    assert fields["spec.replicas"]["message"] == "Invalid value: -1: must be greater than or equal to 0"
    assert fields["spec.template.spec.containers[0].image"]["reason"] == "FieldValueRequired"
    assert status["message"].startswith('Deployment.apps "bad" is invalid: [')
    with pytest.raises(NotFoundError):
        deployments.get(namespace=ns, name="bad")


def test_type_errors_are_400_naming_the_go_field(dyn, ns):
    with pytest.raises(ApiException) as caught:
        resource(dyn, "apps/v1", "Deployment").create(body=deployment(replicas="three"), namespace=ns)
    assert caught.value.status == 400
    assert status_body(caught.value)["message"] == ('Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into '
                                                    'Go struct field DeploymentSpec.spec.replicas of type int32')


def test_custom_resources_are_validated_against_the_crd_schema(dyn, ns):
    routes = resource(dyn, "gateway.networking.k8s.io/v1", "HTTPRoute")
    bad = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "web"},
           "spec": {"parentRefs": [{"name": "gw"}],
                    "rules": [{"matches": [{"path": {"type": "Prefix", "value": "/"}}], "backendRefs": [{"name": "web", "port": "http"}]}]}}
    with pytest.raises(UnprocessibleEntityError) as caught:
        routes.create(body=bad, namespace=ns)
    causes = {cause["field"]: cause["message"] for cause in status_body(caught.value)["details"]["causes"]}
    assert causes["spec.rules[0].matches[0].path.type"] == 'Unsupported value: "Prefix": supported values: "Exact", "PathPrefix", "RegularExpression"'
    assert causes["spec.rules[0].backendRefs[0].port"].startswith('Invalid value: "string": spec.rules[0].backendRefs[0].port in body must be of type integer')


def test_unknown_fields_are_dropped_with_a_warning_or_refused_when_strict(dyn, ns, control):
    configmaps = resource(dyn, "v1", "ConfigMap")
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "env"}, "data": {"A": "1"}, "dta": {"B": "2"}}
    created = configmaps.create(namespace=ns, body=body)
    assert "dta" not in created.to_dict()
    assert control.requests()[-1]["warnings"] == ['unknown field "dta"']
    with pytest.raises(ApiException) as caught:
        configmaps.create(namespace=ns, body=dict(body, metadata={"name": "strict"}), query_params=[("fieldValidation", "Strict")])
    assert caught.value.status == 400 and 'strict decoding error: unknown field "dta"' in status_body(caught.value)["message"]


def test_selectors_filter_lists(dyn, ns):
    configmaps = resource(dyn, "v1", "ConfigMap")
    for name, labels in (("a", {"tier": "web", "env": "prod"}), ("b", {"tier": "worker", "env": "prod"}), ("c", {"tier": "web"})):
        configmaps.create(namespace=ns, body={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}})

    def names(**params):
        return sorted(item.metadata.name for item in configmaps.get(namespace=ns, **params).items if item.metadata.name in "abc")

    assert names(label_selector="tier=web") == ["a", "c"]
    assert names(label_selector="tier!=web") == ["b"]
    assert names(label_selector="tier in (web,worker),env") == ["a", "b"]
    assert names(label_selector="tier notin (web)") == ["b"]
    assert names(label_selector="!env") == ["c"]
    assert names(field_selector="metadata.name=b") == ["b"]
    assert names(field_selector="metadata.name!=b") == ["a", "c"]
    everywhere = configmaps.get(field_selector="metadata.namespace=%s" % ns)
    assert {item.metadata.namespace for item in everywhere.items} == {ns}
    with pytest.raises(ApiException) as caught:
        configmaps.get(namespace=ns, field_selector="data.A=1")
    assert caught.value.status == 400


def test_resource_version_and_generation_change_only_on_real_changes(dyn, ns, control):
    deployments = resource(dyn, "apps/v1", "Deployment")
    created = deployments.create(body=deployment(), namespace=ns)
    wait_for(lambda: deployments.get(namespace=ns, name="web").status.availableReplicas == 1)
    settled = deployments.get(namespace=ns, name="web")
    seq = control.last_seq()
    same = deployments.patch(namespace=ns, name="web", body=deployment(), content_type="application/strategic-merge-patch+json")
    assert same.metadata.resourceVersion == settled.metadata.resourceVersion and same.metadata.generation == 1
    assert [entry["mutated"] for entry in control.requests(seq) if entry["verb"] == "patch"] == [False]
    labelled = deployments.patch(namespace=ns, name="web", body={"metadata": {"labels": {"extra": "x"}}},
                                 content_type="application/merge-patch+json")
    assert labelled.metadata.resourceVersion != settled.metadata.resourceVersion and labelled.metadata.generation == 1
    scaled = deployments.patch(namespace=ns, name="web", body={"spec": {"replicas": 3}}, content_type="application/merge-patch+json")
    assert scaled.metadata.generation == 2
    assert created.metadata.uid == scaled.metadata.uid


def test_strategic_merge_merges_containers_env_and_ports_by_their_keys(dyn, ns):
    deployments = resource(dyn, "apps/v1", "Deployment")
    deployments.create(body=deployment(), namespace=ns)
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "web", "env": [{"name": "B", "value": "2"}], "ports": [{"containerPort": 4000}]},
                                                           {"name": "sidecar", "image": "busybox:1.36"}]}}}}
    patched = deployments.patch(namespace=ns, name="web", body=patch, content_type="application/strategic-merge-patch+json").to_dict()
    containers = patched["spec"]["template"]["spec"]["containers"]
    assert [container["name"] for container in containers] == ["web", "sidecar"]
    assert [env["name"] for env in containers[0]["env"]] == ["A", "B"]
    assert [port["containerPort"] for port in containers[0]["ports"]] == [3000, 4000]
    with pytest.raises(UnprocessibleEntityError):  # a merge patch replaces the list: "web" without its image
        deployments.patch(namespace=ns, name="web", body=patch, content_type="application/merge-patch+json")
    replace = {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "ghcr.io/mastodon/mastodon:v4.7.2", "env": [{"name": "B", "value": "2"}]},
                                                             {"name": "sidecar", "image": "busybox:1.36"}]}}}}
    merged = deployments.patch(namespace=ns, name="web", body=replace, content_type="application/merge-patch+json").to_dict()
    assert [env["name"] for env in merged["spec"]["template"]["spec"]["containers"][0]["env"]] == ["B"]
    assert "ports" not in merged["spec"]["template"]["spec"]["containers"][0]
    deleted = deployments.patch(namespace=ns, name="web", body={"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}}}},
                                content_type="application/strategic-merge-patch+json").to_dict()
    assert [container["name"] for container in deleted["spec"]["template"]["spec"]["containers"]] == ["web"]


def test_json_patch_and_strategic_merge_refused_for_custom_resources(dyn, ns):
    issuers = resource(dyn, "cert-manager.io/v1", "Issuer")
    issuers.create(namespace=ns, body={"apiVersion": "cert-manager.io/v1", "kind": "Issuer", "metadata": {"name": "self"}, "spec": {"selfSigned": {}}})
    with pytest.raises(ApiException) as caught:
        issuers.patch(namespace=ns, name="self", body={"metadata": {"labels": {"a": "b"}}}, content_type="application/strategic-merge-patch+json")
    assert caught.value.status == 415 and status_body(caught.value)["reason"] == "UnsupportedMediaType"
    patched = issuers.patch(namespace=ns, name="self", body=[{"op": "add", "path": "/metadata/labels", "value": {"a": "b"}}],
                            content_type="application/json-patch+json")
    assert patched.metadata.labels.a == "b"


def test_server_side_apply_is_idempotent_prunes_and_detects_conflicts(dyn, ns, control):
    configmaps = resource(dyn, "v1", "ConfigMap")
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "env", "namespace": ns}, "data": {"A": "1", "B": "2"}}
    first = configmaps.server_side_apply(body=body, name="env", namespace=ns, field_manager="fediops")
    second = configmaps.server_side_apply(body=body, name="env", namespace=ns, field_manager="fediops")
    assert first.metadata.resourceVersion == second.metadata.resourceVersion
    pruned = configmaps.server_side_apply(body=dict(body, data={"A": "1"}), name="env", namespace=ns, field_manager="fediops")
    assert pruned.data.to_dict() == {"A": "1"}
    with pytest.raises(ConflictError) as caught:
        configmaps.server_side_apply(body=dict(body, data={"A": "other"}), name="env", namespace=ns, field_manager="someone-else")
    assert status_body(caught.value)["message"] == 'Apply failed with 1 conflict: conflict with "fediops": .data.A'
    forced = configmaps.server_side_apply(body=dict(body, data={"A": "other"}), name="env", namespace=ns, field_manager="someone-else",
                                          force_conflicts=True)
    assert forced.data.A == "other"
    assert [entry["patch_type"] for entry in control.requests() if entry["verb"] == "patch"] == ["apply"] * 5


def test_dry_run_writes_nothing(dyn, ns, control):
    deployments = resource(dyn, "apps/v1", "Deployment")
    seq = control.last_seq()
    preview = deployments.create(body=deployment(), namespace=ns, dry_run="All")
    assert preview.metadata.uid and preview.spec.template.spec.containers[0].imagePullPolicy == "IfNotPresent"
    with pytest.raises(NotFoundError):
        deployments.get(namespace=ns, name="web")
    deployments.create(body=deployment(), namespace=ns)
    before = deployments.get(namespace=ns, name="web")
    deployments.patch(namespace=ns, name="web", body={"spec": {"replicas": 5}}, content_type="application/merge-patch+json", dry_run="All")
    deployments.delete(namespace=ns, name="web", dry_run="All")
    after = deployments.get(namespace=ns, name="web")
    assert after.spec.replicas == 1 and after.metadata.generation == before.metadata.generation
    dry = [entry for entry in control.requests(seq) if entry["dry_run"]]
    assert len(dry) == 3 and not [entry for entry in dry if entry["write"] or entry["mutated"]]


def test_namespace_delete_cascades_to_everything_in_it(dyn, ns, control):
    resource(dyn, "apps/v1", "Deployment").create(body=deployment(), namespace=ns)
    resource(dyn, "v1", "Secret").create(namespace=ns, body={"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"a": "b"}})
    wait_for(lambda: resource(dyn, "v1", "Pod").get(namespace=ns).items)
    deleted = resource(dyn, "v1", "Namespace").delete(name=ns)
    assert deleted.status.phase == "Terminating"
    leftovers = [item for items in control.state().values() for item in items if item["metadata"].get("namespace") == ns]
    assert leftovers == []
    with pytest.raises(NotFoundError):
        resource(dyn, "v1", "Namespace").get(name=ns)


def test_creating_in_a_missing_namespace_is_404(dyn):
    with pytest.raises(NotFoundError) as caught:
        resource(dyn, "v1", "ConfigMap").create(namespace="nowhere", body={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
    assert status_body(caught.value)["message"] == 'namespaces "nowhere" not found'


def test_delete_propagation_background_orphan_and_foreground(dyn, ns):
    deployments, replicasets = resource(dyn, "apps/v1", "Deployment"), resource(dyn, "apps/v1", "ReplicaSet")
    for name in ("bg", "orphan", "fg"):
        deployments.create(body=deployment(name=name), namespace=ns)
    wait_for(lambda: len(replicasets.get(namespace=ns).items) == 3)
    deployments.delete(namespace=ns, name="bg")
    deployments.delete(namespace=ns, name="orphan", body={"propagationPolicy": "Orphan"})
    foreground = deployments.delete(namespace=ns, name="fg", body={"propagationPolicy": "Foreground"})
    assert "foregroundDeletion" in foreground.metadata.finalizers
    left = replicasets.get(namespace=ns).items
    assert [item.metadata.name.split("-")[0] for item in left] == ["orphan"]
    assert not left[0].metadata.ownerReferences


# -- controller ------------------------------------------------------------------------------------------------


def test_deployments_become_available_and_failing_images_never_do(dyn, ns, control):
    control.set_config(failing_images=["*:broken"], progress_deadline=0.5)
    deployments = resource(dyn, "apps/v1", "Deployment")
    deployments.create(body=deployment(replicas=2), namespace=ns)
    deployments.create(body=deployment(name="broken", image="ghcr.io/mastodon/mastodon:broken"), namespace=ns)
    good = wait_until(lambda: deployments.get(namespace=ns, name="web"), lambda item: item.status.availableReplicas == 2)
    assert good.status.readyReplicas == good.status.updatedReplicas == good.status.replicas == 2
    assert good.status.observedGeneration == good.metadata.generation
    assert {item.type: item.status for item in good.status.conditions} == {"Available": "True", "Progressing": "True"}

    def deadline_exceeded():
        item = deployments.get(namespace=ns, name="broken")
        conditions = {condition.type: condition for condition in item.status.conditions or []}
        return item if "Progressing" in conditions and conditions["Progressing"].reason == "ProgressDeadlineExceeded" else None

    broken = wait_for(deadline_exceeded)
    assert not broken.status.availableReplicas and broken.status.unavailableReplicas == 1
    pod = list(resource(dyn, "v1", "Pod").get(namespace=ns, label_selector="app=broken").items)[0]
    assert pod.status.containerStatuses[0].state.waiting.reason == "CrashLoopBackOff"


def test_a_failed_rollout_keeps_the_old_pods_serving(dyn, ns, control):
    control.set_config(failing_images=["*:broken"])
    deployments = resource(dyn, "apps/v1", "Deployment")
    deployments.create(body=deployment(), namespace=ns)
    wait_for(lambda: deployments.get(namespace=ns, name="web").status.availableReplicas == 1)
    deployments.patch(namespace=ns, name="web", content_type="application/strategic-merge-patch+json",
                      body={"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "ghcr.io/mastodon/mastodon:broken"}]}}}})
    time.sleep(0.5)
    status = deployments.get(namespace=ns, name="web").status
    assert status.availableReplicas == 1 and status.replicas == 2 and status.updatedReplicas == 1
    images = sorted(item.spec.containers[0].image for item in resource(dyn, "v1", "Pod").get(namespace=ns).items)
    assert images == ["ghcr.io/mastodon/mastodon:broken", "ghcr.io/mastodon/mastodon:v4.7.2"]


def test_jobs_complete_or_fail_and_their_pod_logs_are_served(dyn, ns, control):
    control.set_config(failing_images=["*:broken"], pod_logs={"*:broken": "PG::UndefinedTable\n"})
    jobs = resource(dyn, "batch/v1", "Job")

    def job(name, image):
        return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
                "spec": {"backoffLimit": 1, "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "main", "image": image}]}}}}

    jobs.create(namespace=ns, body=job("ok", "ghcr.io/mastodon/mastodon:v4.7.2"))
    jobs.create(namespace=ns, body=job("bad", "ghcr.io/mastodon/mastodon:broken"))
    done = wait_until(lambda: jobs.get(namespace=ns, name="ok"), lambda item: item.status.conditions)
    assert done.status.succeeded == 1 and done.status.completionTime
    assert {item.type: item.status for item in done.status.conditions}["Complete"] == "True"
    failed = wait_until(lambda: jobs.get(namespace=ns, name="bad"), lambda item: item.status.conditions, timeout=8)
    conditions = {item.type: item for item in failed.status.conditions}
    assert conditions["Failed"].status == "True" and conditions["Failed"].reason == "BackoffLimitExceeded" and failed.status.failed == 2
    pods = resource(dyn, "v1", "Pod").get(namespace=ns, label_selector="job-name=bad").items
    log = CoreV1Api(dyn.client).read_namespaced_pod_log(pods[0].metadata.name, ns)
    assert log == "PG::UndefinedTable\n"


def test_gateway_route_and_certificates_get_status_and_secrets(dyn, ns, control):  # pylint: disable=unused-argument
    docs = yaml.safe_load_all("""
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: le}
spec: {acme: {email: a@example.social, server: https://acme.invalid/dir, privateKeySecretRef: {name: le-account}, solvers: [{http01: {}}]}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: apitest}
spec: {ports: [{port: 3000}], selector: {app: web}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: apitest, annotations: {cert-manager.io/cluster-issuer: le}}
spec:
  gatewayClassName: cilium
  listeners:
  - {name: https, protocol: HTTPS, port: 443, hostname: example.social, tls: {certificateRefs: [{name: site-tls}]}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: apitest}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{name: web, port: 3000}]}, {backendRefs: [{name: missing, port: 3000}]}]
""")
    for doc in docs:
        resource(dyn, doc["apiVersion"], doc["kind"]).create(body=doc, namespace=doc["metadata"].get("namespace"))
    gateways = resource(dyn, "gateway.networking.k8s.io/v1", "Gateway")
    programmed = wait_until(lambda: gateways.get(namespace=ns, name="gw"),
                            lambda item: {c.type: c.status for c in item.status.conditions}.get("Programmed") == "True")
    assert programmed.status.addresses[0].type == "IPAddress"
    assert programmed.status.listeners[0].attachedRoutes == 1
    secret = wait_for(lambda: [item for item in resource(dyn, "v1", "Secret").get(namespace=ns).items if item.metadata.name == "site-tls"])[0]
    assert secret.type == "kubernetes.io/tls" and b"BEGIN CERTIFICATE" in base64.b64decode(secret.data["tls.crt"])
    certificate = resource(dyn, "cert-manager.io/v1", "Certificate").get(namespace=ns, name="site-tls")
    assert certificate.spec.dnsNames == ["example.social"] and {c.type: c.status for c in certificate.status.conditions}["Ready"] == "True"
    route = resource(dyn, "gateway.networking.k8s.io/v1", "HTTPRoute").get(namespace=ns, name="web")
    conditions = {c.type: c for c in route.status.parents[0].conditions}
    assert conditions["Accepted"].status == "True"
    assert conditions["ResolvedRefs"].status == "False" and conditions["ResolvedRefs"].reason == "BackendNotFound"
    service = resource(dyn, "v1", "Service").get(namespace=ns, name="cilium-gateway-gw")
    assert service.spec.type == "LoadBalancer" and service.status.loadBalancer.ingress[0].ip == programmed.status.addresses[0].value


def test_watch_streams_events_until_the_timeout(dyn, ns):
    configmaps = resource(dyn, "v1", "ConfigMap")
    start = configmaps.get(namespace=ns).metadata.resourceVersion
    configmaps.create(namespace=ns, body={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "watched"}})
    events = list(configmaps.watch(namespace=ns, resource_version=start, timeout=1))
    assert [(event["type"], event["object"].metadata.name) for event in events] == [("ADDED", "watched")]


# -- faults ---------------------------------------------------------------------------------------------------


def test_faults_answer_429_and_5xx_like_the_server(dyn, ns, control, emulator, tls_files):
    configmaps = resource(dyn, "v1", "ConfigMap")
    # urllib3 (under the kubernetes client) honours Retry-After on 429: the second try succeeds.
    control.add_fault("429", method="GET", path="/api/v1/namespaces/*/configmaps", retry_after=0)
    configmaps.get(namespace=ns)
    assert [entry["status"] for entry in control.requests() if entry["verb"] == "list"] == [429, 200]
    control.add_fault("429", method="GET", path="/api/v1/namespaces", retry_after=7)
    request = urllib.request.Request(emulator.url + "/api/v1/namespaces", headers={"Authorization": "Bearer sandbox-token-for-tests"})
    with pytest.raises(urllib.error.HTTPError) as throttled:
        urllib.request.urlopen(request, context=ssl.create_default_context(cafile=tls_files["ca"]))  # pylint: disable=consider-using-with
    assert throttled.value.code == 429 and throttled.value.headers["Retry-After"] == "7"
    assert json.load(throttled.value)["details"] == {"retryAfterSeconds": 7}
    control.add_fault("5xx", method="POST", status=500)
    with pytest.raises(ApiException) as caught:
        configmaps.create(namespace=ns, body={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
    assert caught.value.status == 500 and status_body(caught.value)["reason"] == "InternalError"
    assert [entry["fault"] for entry in control.requests() if entry["fault"]] == ["429", "429", "5xx"]
    assert "x" not in [item["metadata"]["name"] for item in control.objects("configmaps", ns)]


def test_response_lost_applies_the_write_and_drops_the_connection(emulator, tls_files, ns, control):
    control.add_fault("response_lost", method="POST")
    pool = urllib3.HTTPSConnectionPool("127.0.0.1", emulator.port, ca_certs=tls_files["ca"], retries=False)
    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "lost"}})
    with pytest.raises((urllib3.exceptions.ProtocolError, ConnectionError, socket.error)):
        pool.request("POST", "/api/v1/namespaces/%s/configmaps" % ns, body=body,
                     headers={"Authorization": "Bearer sandbox-token-for-tests", "Content-Type": "application/json"})
    assert "lost" in [item["metadata"]["name"] for item in control.objects("configmaps", ns)]
    assert control.requests()[-1]["fault"] == "response_lost"
