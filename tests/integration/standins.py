# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in helpers shared by the integration tests: direct calls to the DigitalOcean emulator's public API
(state a test sets up around the code under test, not through the collection's modules) and a reset
Kubernetes stand-in."""

from __future__ import annotations

import contextlib

import requests

from tests.emulators.kubernetes.control import KubernetesControl


@contextlib.contextmanager
def reset_kubernetes(sandbox, **config):
    """The Kubernetes stand-in, reset, with ``config`` (ready_delay, failing_images, pod_logs) set; the
    failing images and pod logs are cleared again at the end."""
    control = KubernetesControl(sandbox.k8s_url, sandbox.ca_bundle)
    control.reset()
    if config:
        control.set_config(**config)
    try:
        yield control
    finally:
        control.set_config(failing_images=[], pod_logs={})


class DigitalOceanApi:
    """The emulator's API with the sandbox's token and CA; writes must answer 201."""

    def __init__(self, sandbox):
        self.url = sandbox.do_url
        self.ca = sandbox.ca_bundle
        self.session = requests.Session()
        self.session.headers['Authorization'] = 'Bearer ' + sandbox.do_token

    def post(self, path, body):
        response = self.session.post(self.url + path, json=body, timeout=10, verify=self.ca)
        assert response.status_code == 201, response.text
        return response.json()

    def add_record(self, zone, **record):
        """Create a record in ``zone`` and return it."""
        return self.post('/v2/domains/%s/records' % zone, record)['domain_record']

    def close(self):
        self.session.close()
