# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client of the AWS stand-in's /_emulator/ control API, for tests."""

from __future__ import annotations

import requests


class AwsEmulatorControl:
    """Request log, reset and state of the moto-based AWS stand-in."""

    def __init__(self, base_url, ca_bundle):
        self.base_url = base_url.rstrip('/')
        self.ca_bundle = ca_bundle
        self.session = requests.Session()

    def _call(self, method, path, **kwargs):
        response = self.session.request(method, self.base_url + path, timeout=30, verify=self.ca_bundle, **kwargs)
        response.raise_for_status()
        return response.json()

    def requests(self, since=0):
        return self._call('GET', '/_emulator/requests', params={'since': since})

    def writes(self, since=0):
        return [entry for entry in self.requests(since) if entry['write']]

    def clear_requests(self):
        self._call('DELETE', '/_emulator/requests')

    def reset(self):
        self._call('POST', '/_emulator/reset')

    def state(self):
        return self._call('GET', '/_emulator/state')
