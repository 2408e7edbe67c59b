# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Make ``ansible_collections.fediops.mastodon`` importable when pytest runs from a checkout.

The Makefile links ``<repo>/.venv/collections/ansible_collections/fediops/mastodon`` to the repo;
that directory goes on sys.path. Under ``ansible-test units`` the collection is importable already.
"""

import importlib
import json
import os
import sys

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS_PATH = os.path.join(REPO_ROOT, '.venv', 'collections')
LINK = os.path.join(COLLECTIONS_PATH, 'ansible_collections', 'fediops', 'mastodon')

if os.path.isdir(COLLECTIONS_PATH) and COLLECTIONS_PATH not in sys.path:
    sys.path.insert(0, COLLECTIONS_PATH)


def pytest_configure(config):
    try:
        importlib.import_module('ansible_collections.fediops.mastodon.plugins.module_utils.digitalocean')
    except ImportError as exc:
        pytest.exit('cannot import the collection (%s); link it first: mkdir -p %s && ln -sfn %s %s' % (
            exc, os.path.dirname(LINK), REPO_ROOT, LINK), returncode=4)


class ModuleResult(Exception):
    """Raised instead of exiting the process by exit_json / fail_json."""

    def __init__(self, result):
        super().__init__(result.get('msg', ''))
        self.result = result


class ModuleHarness:
    """Runs modules in-process: ``run(main, args)`` returns the result dict (``failed`` set on failure)."""

    def __init__(self, monkeypatch):
        from ansible.module_utils import basic

        def exit_json(module, **kwargs):
            kwargs.setdefault('changed', False)
            raise ModuleResult(kwargs)

        def fail_json(module, msg, **kwargs):
            kwargs.pop('exception', None)
            kwargs.update(failed=True, msg=msg)
            raise ModuleResult(kwargs)

        monkeypatch.setattr(basic.AnsibleModule, 'exit_json', exit_json)
        monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)

    @staticmethod
    def _args(args, check_mode=False, diff=False):
        args = dict(args)
        args['_ansible_check_mode'] = check_mode
        args['_ansible_diff'] = diff
        return args

    def run(self, main, args, check_mode=False, diff=True):
        from ansible.module_utils.testing import patch_module_args
        with patch_module_args(self._args(args, check_mode, diff)):
            try:
                main()
            except ModuleResult as exc:
                return exc.result
        raise AssertionError('the module returned without exit_json or fail_json')

    def build(self, cls, args, **kwargs):
        """Instantiate a module class with ``args``; a failure during __init__ raises ModuleResult."""
        from ansible.module_utils.testing import patch_module_args
        with patch_module_args(self._args(args)):
            return cls(**kwargs)

    @staticmethod
    def failure(fn, *args, **kwargs):
        """Call ``fn`` and return the fail_json result it must produce."""
        try:
            fn(*args, **kwargs)
        except ModuleResult as exc:
            assert exc.result.get('failed'), exc.result
            return exc.result
        raise AssertionError('expected fail_json')


@pytest.fixture
def harness(monkeypatch):
    return ModuleHarness(monkeypatch)


@pytest.fixture
def clean_do_env(monkeypatch):
    """No DigitalOcean variables from the developer's shell leak into a test."""
    for name in ('DIGITALOCEAN_ACCESS_TOKEN', 'DIGITALOCEAN_TOKEN', 'DO_API_TOKEN', 'DO_API_KEY', 'DO_OAUTH_TOKEN',
                 'OAUTH_TOKEN', 'DIGITALOCEAN_API_URL'):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


class FakeHttpResponse:
    """Just enough of an azure-core HTTP response for HttpResponseError and pydo's ``cls`` hook."""

    def __init__(self, status, body=None, headers=None):
        self.status_code = status
        self.reason = 'Reason %d' % status
        self.headers = dict(headers or {})
        self._body = body

    def text(self):
        if self._body is None:
            return ''
        return self._body if isinstance(self._body, str) else json.dumps(self._body)

    def json(self):
        return json.loads(self.text())


class FakePipelineResponse:
    def __init__(self, status, headers=None):
        self.http_response = FakeHttpResponse(status, headers=headers)


def pydo_result(kwargs, status, body, headers=None):
    """Return what a pydo operation returns: through ``cls`` when the caller passed one (as pydo does)."""
    cls = kwargs.get('cls')
    if cls:
        return cls(FakePipelineResponse(status, headers), body, {})
    return body


def http_error(status, body=None, headers=None):
    from azure.core.exceptions import HttpResponseError
    return HttpResponseError(response=FakeHttpResponse(status, body, headers))


@pytest.fixture
def fake_pydo():
    """Helpers that mimic pydo: ``result(kwargs, status, body)``, ``error(status, body, headers)``."""
    class Helpers:
        result = staticmethod(pydo_result)
        error = staticmethod(http_error)
        Response = FakeHttpResponse
    return Helpers
