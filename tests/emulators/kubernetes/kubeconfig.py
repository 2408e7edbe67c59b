# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A kubeconfig in the shape DigitalOcean returns for a DOKS cluster (``GET /v2/kubernetes/clusters/{id}/kubeconfig``)."""

import base64
import os
import tempfile

import yaml


def kubeconfig_document(url, ca_pem, token, cluster_name="sandbox", region="tor1"):
    """The kubeconfig as a dict: cluster and context ``do-<region>-<name>``, token user ``do-<region>-<name>-admin``."""
    entry = "do-%s-%s" % (region, cluster_name)
    return {
        "apiVersion": "v1",
        "clusters": [{"cluster": {"certificate-authority-data": base64.b64encode(ca_pem).decode("ascii"), "server": url}, "name": entry}],
        "contexts": [{"context": {"cluster": entry, "user": entry + "-admin"}, "name": entry}],
        "current-context": entry,
        "kind": "Config",
        "preferences": {},
        "users": [{"name": entry + "-admin", "user": {"token": token}}],
    }


def write_kubeconfig(path, url, ca_pem_path, token, cluster_name="sandbox", region="tor1"):
    """Write the kubeconfig to ``path`` (mode 0600, atomically) and return ``path``."""
    with open(ca_pem_path, "rb") as handle:
        ca_pem = handle.read()
    text = yaml.safe_dump(kubeconfig_document(url, ca_pem, token, cluster_name, region), default_flow_style=False, sort_keys=True)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".kubeconfig-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return path
