# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kubernetes.core 6.x (from the ``ansible`` bundle) against the stand-in, through ansible-playbook.

The playbooks assert inside (request log through the control API); these tests run them and
check their outcome. Many tasks are batched per playbook to keep the runs short.
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PLAYBOOKS = os.path.join(HERE, "playbooks")
MANIFESTS = os.path.join(HERE, "manifests", "all-kinds.yaml")
VENV_BIN = os.path.dirname(sys.executable)


def run_playbook(name, kubeconfig, emulator, tls_files, tmp_path):
    env = dict(os.environ)
    env.update(K8S_AUTH_KUBECONFIG=kubeconfig, ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="0", TMPDIR=str(tmp_path),
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-local"), ANSIBLE_HOME=str(tmp_path / "ansible-home"))
    for key in ("K8S_AUTH_HOST", "K8S_AUTH_API_KEY", "K8S_AUTH_CONTEXT", "KUBECONFIG"):
        env.pop(key, None)
    command = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
               "-e", "ansible_python_interpreter=%s" % sys.executable, "-e", "manifests=%s" % MANIFESTS,
               "-e", "control_url=%s" % emulator.url, "-e", "ca_path=%s" % tls_files["ca"], os.path.join(PLAYBOOKS, name)]
    result = subprocess.run(command, env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, "ansible-playbook %s failed:\n%s\n%s" % (name, result.stdout[-8000:], result.stderr[-4000:])
    return result


def test_every_kind_is_created_reapplied_listed_waited_and_deleted_idempotently(kubeconfig, emulator, tls_files, control, tmp_path):
    result = run_playbook("every_kind.yml", kubeconfig, emulator, tls_files, tmp_path)
    assert "failed=0" in result.stdout
    # Nothing of the test namespace is left, and the cluster-scoped objects are gone too.
    state = control.state()
    assert not [item for items in state.values() for item in items if item["metadata"].get("namespace") == "fediops-test"]
    assert "letsencrypt" not in [item["metadata"]["name"] for item in state.get("clusterissuers.cert-manager.io", [])]


def test_invalid_objects_failing_images_triggered_jobs_and_namespace_cascade(kubeconfig, emulator, tls_files, control, tmp_path):
    control.set_config(failing_images=["*:broken"], pod_logs={"*:broken": 'rake aborted!\nPG::UndefinedTable: ERROR:  relation "accounts" does not exist\n'})
    result = run_playbook("failures.yml", kubeconfig, emulator, tls_files, tmp_path)
    assert "failed=0" in result.stdout
    invalid = [entry for entry in control.requests() if entry["verb"] == "create" and entry["kind"] == "Deployment" and entry["status"] >= 400]
    assert [(entry["status"], entry["reason"]) for entry in invalid] == [(422, "Invalid"), (400, "BadRequest")]
    assert not [entry for entry in invalid if entry["mutated"]]
