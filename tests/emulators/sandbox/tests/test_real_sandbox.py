# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The real sandbox: the launcher's default registry with the DigitalOcean API emulator."""

from __future__ import annotations

import pytest
import requests

from tests.emulators.sandbox.launcher import Sandbox


@pytest.fixture(scope='module')
def real_sandbox(tmp_path_factory):
    sandbox = Sandbox(tmp_path_factory.mktemp('real-sandbox'))
    try:
        yield sandbox.up()
    finally:
        sandbox.down()


def test_emulator_accepts_the_sandbox_token_and_refuses_a_missing_one(real_sandbox):
    env = real_sandbox['env']
    url = env['DIGITALOCEAN_API_URL'] + '/v2/account'
    with_token = requests.get(url, headers={'Authorization': 'Bearer ' + env['DIGITALOCEAN_ACCESS_TOKEN']},
                              verify=env['REQUESTS_CA_BUNDLE'], timeout=10)
    without_token = requests.get(url, verify=env['REQUESTS_CA_BUNDLE'], timeout=10)
    assert with_token.status_code == 200, with_token.text
    assert without_token.status_code == 401, without_token.text
