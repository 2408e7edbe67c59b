# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stand-ins the sandbox runs.

A stand-in is one :class:`Service` entry in :func:`default_services`. The launcher starts every
entry as a subprocess from the repository root, waits until it is ready, and merges the
environment variables each entry contributes into ``<state-dir>/env``.

Two ways of telling the launcher where a service listens are supported:

- ``ready_file=True`` (the DigitalOcean emulator's contract): the service is started with
  ``--port 0`` and writes ``{"url": ..., "pid": ...}`` atomically to ``ctx.ready_file`` once it
  listens;
- ``ready_file=False`` (a third-party server such as moto): the launcher picks a free port on
  127.0.0.1 beforehand, hands it over as ``ctx.port`` and knows the URL up front.

Either way the service is ready once an HTTPS GET of ``url + health_path``, verified with the
sandbox CA, answers 200 (or once ``probe`` returns true, when a service needs another check).
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import sys
import typing as t

import requests

from .ca import CertPaths

HOST = '127.0.0.1'


@dataclasses.dataclass(frozen=True)
class ServiceContext:
    """What a service's argv and env builders get to work with."""

    name: str
    python: str
    repo_root: str
    state_dir: str
    certs: CertPaths
    ready_file: str
    port: int
    secrets: t.Mapping[str, str]
    provision_delay: float | None = None
    rate_limit_per_minute: int | None = None
    host: str = HOST


@dataclasses.dataclass(frozen=True)
class Service:
    """One stand-in.

    ``build_argv(ctx)`` returns the command line (run with the repository root as working directory);
    ``build_env(ctx, url)`` returns the environment variables clients need to reach it;
    ``make_secrets()`` returns per-sandbox secrets (e.g. an API token), kept for the life of the sandbox
    and available to both builders as ``ctx.secrets``;
    ``probe(url, ssl_context)``, when set, replaces the default health check
    (``GET url + health_path`` answers 200);
    ``link(ctx, url, peers)``, when set, runs once every service is ready, with ``peers`` mapping each
    service name to its ``(ctx, url)``: the place to wire stand-ins together.
    """

    name: str
    build_argv: t.Callable[[ServiceContext], t.Sequence[str]]
    build_env: t.Callable[[ServiceContext, str], t.Mapping[str, str]]
    health_path: str = '/'
    ready_file: bool = True
    make_secrets: t.Callable[[], t.Mapping[str, str]] = dict
    probe: t.Callable[[str, t.Any], bool] | None = None
    link: t.Callable[[ServiceContext, str, t.Mapping[str, t.Tuple[ServiceContext, str]]], None] | None = None


DIGITALOCEAN_MODULE = 'tests.emulators.digitalocean'


def digitalocean_service(module: str = DIGITALOCEAN_MODULE, name: str = 'digitalocean',
                         extra_args: t.Sequence[str] = (), link: t.Any = 'default') -> Service:
    """The DigitalOcean API emulator (``python -m tests.emulators.digitalocean``).

    ``module`` and ``extra_args`` let the launcher's own tests run a stand-in that honours the same
    command-line contract (with ``link=None``: a fake has no control API to wire).
    """

    def build_argv(ctx: ServiceContext) -> list[str]:
        argv = [
            ctx.python, '-m', module,
            '--host', ctx.host,
            '--port', '0',
            '--certfile', ctx.certs.server_cert,
            '--keyfile', ctx.certs.server_key,
            '--ready-file', ctx.ready_file,
            '--token', ctx.secrets['token'],
        ]
        if ctx.provision_delay is not None:
            argv += ['--provision-delay', str(ctx.provision_delay)]
        if ctx.rate_limit_per_minute is not None:
            argv += ['--rate-limit-per-minute', str(ctx.rate_limit_per_minute)]
        return argv + list(extra_args)

    def build_env(ctx: ServiceContext, url: str) -> dict[str, str]:
        return {
            'DIGITALOCEAN_API_URL': url,
            'DIGITALOCEAN_ACCESS_TOKEN': ctx.secrets['token'],
            'FEDIOPS_SANDBOX_DO_CONTROL_URL': url,
        }

    return Service(
        name=name,
        build_argv=build_argv,
        build_env=build_env,
        health_path='/_emulator/state',
        make_secrets=lambda: {'token': 'dop_v1_sandbox_%s' % secrets.token_hex(32)},
        link=link_doks_to_kubernetes if link == 'default' else link,
    )


def link_doks_to_kubernetes(ctx: ServiceContext, url: str, peers: t.Mapping[str, t.Tuple[ServiceContext, str]]) -> None:
    """Make the kubeconfig that DOKS clusters return reach the sandbox's Kubernetes stand-in.

    A real DOKS kubeconfig names ``https://<id>.k8s.ondigitalocean.com``; in the sandbox every cluster's
    kubeconfig points at the one Kubernetes API stand-in, trusted through the sandbox CA, with its token.
    """
    if 'kubernetes' not in peers:
        return
    k8s_ctx, k8s_url = peers['kubernetes']
    with open(ctx.certs.bundle, encoding='utf-8') as handle:
        ca_pem = handle.read()
    response = requests.post(url + '/_emulator/config', timeout=30, verify=ctx.certs.bundle, json={
        'kubernetes_api_url': k8s_url, 'kubernetes_ca_pem': ca_pem, 'kubernetes_token': k8s_ctx.secrets['token']})
    response.raise_for_status()


AWS_MODULE = 'tests.emulators.aws'


def aws_service(module: str = AWS_MODULE, name: str = 'aws') -> Service:
    """moto over HTTPS (``python -m tests.emulators.aws``): S3 for Spaces, SES, IAM, STS.

    boto3 reads ``AWS_ENDPOINT_URL`` for every AWS service; Spaces clients read
    ``SPACES_ENDPOINT_URL`` (the override the DigitalOcean tooling uses) instead of deriving
    ``https://<region>.digitaloceanspaces.com`` from the region.
    """

    def build_argv(ctx: ServiceContext) -> list[str]:
        return [
            ctx.python, '-m', module,
            '--host', ctx.host,
            '--port', '0',
            '--certfile', ctx.certs.server_cert,
            '--keyfile', ctx.certs.server_key,
            '--ready-file', ctx.ready_file,
        ]

    def build_env(ctx: ServiceContext, url: str) -> dict[str, str]:
        return {
            'AWS_ENDPOINT_URL': url,
            'AWS_ACCESS_KEY_ID': ctx.secrets['aws_access_key_id'],
            'AWS_SECRET_ACCESS_KEY': ctx.secrets['aws_secret_access_key'],
            'AWS_REGION': 'us-east-1',
            'SPACES_ENDPOINT_URL': url,
            'SPACES_ACCESS_KEY_ID': ctx.secrets['spaces_access_key_id'],
            'SPACES_SECRET_ACCESS_KEY': ctx.secrets['spaces_secret_access_key'],
            'FEDIOPS_SANDBOX_AWS_CONTROL_URL': url,
        }

    def make_secrets() -> dict[str, str]:
        return {
            'aws_access_key_id': 'AKIASANDBOX%s' % secrets.token_hex(4).upper(),
            'aws_secret_access_key': secrets.token_urlsafe(30),
            'spaces_access_key_id': 'DO00SANDBOX%s' % secrets.token_hex(5).upper(),
            'spaces_secret_access_key': secrets.token_urlsafe(32),
        }

    return Service(
        name=name,
        build_argv=build_argv,
        build_env=build_env,
        health_path='/_emulator/state',
        make_secrets=make_secrets,
    )


KUBERNETES_MODULE = 'tests.emulators.kubernetes'
KUBECONFIG_NAME = 'kubeconfig'


def kubernetes_service(module: str = KUBERNETES_MODULE, name: str = 'kubernetes') -> Service:
    """The Kubernetes API stand-in (``python -m tests.emulators.kubernetes``), reached like DOKS.

    Its env entry writes ``<state-dir>/kubeconfig`` in the shape DOKS returns (token user, CA data)
    and points ``K8S_AUTH_KUBECONFIG`` / ``KUBECONFIG`` at it, so roles run unchanged.
    """

    def build_argv(ctx: ServiceContext) -> list[str]:
        argv = [
            ctx.python, '-m', module,
            '--host', ctx.host,
            '--port', '0',
            '--certfile', ctx.certs.server_cert,
            '--keyfile', ctx.certs.server_key,
            '--ready-file', ctx.ready_file,
            '--token', ctx.secrets['token'],
        ]
        if ctx.provision_delay is not None:
            argv += ['--ready-delay', str(ctx.provision_delay)]
        return argv

    def build_env(ctx: ServiceContext, url: str) -> dict[str, str]:
        from tests.emulators.kubernetes.kubeconfig import write_kubeconfig  # pylint: disable=import-outside-toplevel
        path = os.path.join(ctx.state_dir, KUBECONFIG_NAME)
        write_kubeconfig(path, url, ctx.certs.bundle, ctx.secrets['token'], cluster_name='sandbox', region='tor1')
        return {
            'K8S_AUTH_KUBECONFIG': path,
            'KUBECONFIG': path,
            'FEDIOPS_SANDBOX_K8S_CONTROL_URL': url,
        }

    return Service(
        name=name,
        build_argv=build_argv,
        build_env=build_env,
        health_path='/_emulator/state',
        make_secrets=lambda: {'token': 'sandbox-k8s-%s' % secrets.token_hex(24)},
    )


def default_services() -> list[Service]:
    """The registry: every stand-in ``up()`` starts. Add a stand-in by adding its entry here."""
    return [
        digitalocean_service(),
        aws_service(),
        kubernetes_service(),
    ]


def default_python() -> str:
    return sys.executable
