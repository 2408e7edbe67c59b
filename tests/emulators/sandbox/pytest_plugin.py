# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pytest plugin: the session-scoped ``sandbox`` fixture.

Register it with ``pytest_plugins = ['tests.emulators.sandbox.pytest_plugin']`` in the root conftest.
When ``FEDIOPS_SANDBOX_DIR`` names a sandbox that is up and healthy (``source .sandbox/env`` after
``python -m tests.emulators.sandbox up``), the fixture uses it; otherwise it starts a sandbox of its own
in a temporary directory and stops it when the session ends.
"""

from __future__ import annotations

import contextlib
import os
import typing as t

import pytest

from .launcher import Sandbox
from .services import Service


class SandboxHandle:
    """What tests get from the ``sandbox`` fixture."""

    def __init__(self, info: dict, owned: bool) -> None:
        self.info = info
        self.owned = owned
        self.env: dict[str, str] = dict(info['env'])
        self.state_dir: str = info['state_dir']
        self.ca_bundle: str = info['ca_bundle']
        self.env_file: str = info['env_file']
        self.services: dict[str, dict] = info['services']

    def url(self, service: str) -> str:
        return self.services[service]['url']

    @property
    def do_url(self) -> str:
        """Base URL of the DigitalOcean API emulator."""
        return self.env['DIGITALOCEAN_API_URL']

    @property
    def do_token(self) -> str:
        return self.env['DIGITALOCEAN_ACCESS_TOKEN']

    @property
    def do_control_url(self) -> str:
        """Base URL of the emulator's control API (its endpoints are under ``/_emulator/``)."""
        return self.env['FEDIOPS_SANDBOX_DO_CONTROL_URL']

    @property
    def aws_url(self) -> str:
        """Base URL of the AWS stand-in (moto: S3 for Spaces, SES, IAM, STS); control API under ``/_emulator/``."""
        return self.env['AWS_ENDPOINT_URL']

    @property
    def kubeconfig(self) -> str:
        """Path of the kubeconfig (DOKS shape) that reaches the Kubernetes API stand-in."""
        return self.env['K8S_AUTH_KUBECONFIG']

    @property
    def k8s_url(self) -> str:
        """Base URL of the Kubernetes API stand-in; its control API is under ``/_emulator/``."""
        return self.env['FEDIOPS_SANDBOX_K8S_CONTROL_URL']

    def __repr__(self) -> str:
        return '<SandboxHandle %s%s>' % (self.state_dir, '' if self.owned else ' (shared)')


def attach_running(state_dir: str, services: t.Sequence[Service] | None = None) -> SandboxHandle | None:
    """A handle on the sandbox in ``state_dir`` when it is up and healthy, else None."""
    sandbox = Sandbox(state_dir, services=services)
    info = sandbox.load_info()
    if info is None or not sandbox.status()['healthy']:
        return None
    return SandboxHandle(info, owned=False)


@contextlib.contextmanager
def provide_sandbox(make_state_dir: t.Callable[[], str], services: t.Sequence[Service] | None = None,
                    environ: t.Mapping[str, str] | None = None) -> t.Iterator[SandboxHandle]:
    """Yield the running sandbox named by ``FEDIOPS_SANDBOX_DIR``, or one started (and stopped) here."""
    environ = os.environ if environ is None else environ
    shared = environ.get('FEDIOPS_SANDBOX_DIR')
    handle = attach_running(shared, services) if shared else None
    if handle is not None:
        yield handle
        return
    sandbox = Sandbox(make_state_dir(), services=services)
    try:
        yield SandboxHandle(sandbox.up(), owned=True)
    finally:
        sandbox.down()


@pytest.fixture(scope='session')
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[SandboxHandle]:
    """The sandbox stand-ins (DigitalOcean API emulator, ...), shared by the whole session."""
    with provide_sandbox(lambda: str(tmp_path_factory.mktemp('sandbox'))) as handle:
        yield handle
