# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start, check and stop the sandbox: the local HTTPS stand-ins tests and demos run against.

Layout of a state directory (``.sandbox`` by default)::

    ca/ca.pem ca/ca-key.pem ca/server.pem ca/server-key.pem   the sandbox CA and server certificate
    logs/<service>.log                                        stdout and stderr of each stand-in
    <service>.pid  <service>.ready                            pid file, ready file written by the stand-in
    env                                                       shell exports (mode 0600)
    sandbox.json                                              the same facts, machine-readable (mode 0600)
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import datetime
import fcntl
import http.client
import json
import os
import shlex
import signal
import socket
import ssl
import subprocess
import threading
import time
import typing as t
import urllib.parse

from .ca import CertPaths, ensure_certificates, write_file_atomic
from .services import HOST, Service, ServiceContext, default_python, default_services

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
INFO_VERSION = 1
LOG_TAIL_LINES = 40
PROBE_TIMEOUT = 2.0
POLL_INTERVAL = 0.05
LOCAL_HOSTS = ('127.0.0.1', 'localhost')


class SandboxError(RuntimeError):
    """The sandbox could not be brought up (the message carries the failing service's log tail)."""

    def __init__(self, message: str, service: str | None = None, log_tail: str = '') -> None:
        super().__init__(message)
        self.service = service
        self.log_tail = log_tail


class _NotReady(Exception):
    def __init__(self, service: str, reason: str) -> None:
        super().__init__(reason)
        self.service = service
        self.reason = reason


@dataclasses.dataclass
class _Launched:
    service: Service
    ctx: ServiceContext
    proc: subprocess.Popen
    log: str
    url: str | None = None


class Sandbox:
    """The set of stand-ins sharing one state directory.

    ``up()`` starts every service of the registry (or reuses them when they already run healthy with
    the same options) and returns the info dict also written to ``sandbox.json``; ``down()`` stops
    them; ``status()`` reports on them. Used as a context manager it is up inside the block.
    """

    def __init__(
        self,
        state_dir: str = '.sandbox',
        repo_root: str | None = None,
        provision_delay: float | None = None,
        rate_limit_per_minute: int | None = None,
        services: t.Sequence[Service] | None = None,
        startup_timeout: float = 30.0,
        stop_timeout: float = 5.0,
        python: str | None = None,
    ) -> None:
        self.state_dir = os.path.realpath(os.fspath(state_dir))
        self.repo_root = os.path.realpath(os.fspath(repo_root or REPO_ROOT))
        self.provision_delay = provision_delay
        self.rate_limit_per_minute = rate_limit_per_minute
        self.services = list(default_services() if services is None else services)
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.python = python or default_python()
        self._procs: dict[int, subprocess.Popen] = {}
        names = [service.name for service in self.services]
        if len(set(names)) != len(names):
            raise ValueError('service names must be unique: %s' % ', '.join(names))

    # Paths ---------------------------------------------------------------------------------------

    @property
    def env_file(self) -> str:
        return os.path.join(self.state_dir, 'env')

    @property
    def info_file(self) -> str:
        return os.path.join(self.state_dir, 'sandbox.json')

    @property
    def ca_dir(self) -> str:
        return os.path.join(self.state_dir, 'ca')

    @property
    def ca_bundle(self) -> str:
        return CertPaths.in_directory(self.ca_dir).bundle

    @property
    def logs_dir(self) -> str:
        return os.path.join(self.state_dir, 'logs')

    def pid_file(self, name: str) -> str:
        return os.path.join(self.state_dir, '%s.pid' % name)

    def ready_file(self, name: str) -> str:
        return os.path.join(self.state_dir, '%s.ready' % name)

    def log_file(self, name: str) -> str:
        return os.path.join(self.logs_dir, '%s.log' % name)

    # Public API ----------------------------------------------------------------------------------

    def up(self) -> dict:
        """Bring every service up (idempotent) and return the sandbox info."""
        os.makedirs(self.state_dir, mode=0o700, exist_ok=True)
        with self._locked():
            info = self.load_info()
            if info is not None and self._reusable(info):
                if not os.path.exists(self.env_file):
                    write_file_atomic(self.env_file, render_env_file(info['env']).encode('utf-8'), 0o600)
                return info
            self._stop_everything(info)
            return self._start()

    def down(self) -> None:
        """Stop every service this state directory knows of; fine when nothing runs."""
        if not os.path.isdir(self.state_dir):
            return
        with self._locked():
            self._stop_everything(self.load_info())

    def status(self) -> dict:
        """Report whether each registered service runs and answers its health check."""
        info = self.load_info()
        entries = []
        ssl_context = None
        if info is not None:
            with contextlib.suppress(OSError, ssl.SSLError):
                ssl_context = client_ssl_context(info['ca_bundle'])
        for service in self.services:
            entry = dict((info or {}).get('services', {}).get(service.name) or {'name': service.name})
            entry.update(running=False, healthy=False)
            pid = entry.get('pid')
            if not pid:
                entry['detail'] = 'not started'
            elif not (self._alive(pid) and self._is_ours(pid)):
                entry['detail'] = 'process %s is not running' % pid
            else:
                entry['running'] = True
                if ssl_context is None:
                    entry['detail'] = 'sandbox CA bundle unreadable'
                else:
                    entry['healthy'], entry['detail'] = _probe(service, entry['url'], ssl_context)
            entries.append(entry)
        return {
            'state_dir': self.state_dir,
            'healthy': info is not None and all(entry['healthy'] for entry in entries),
            'env_file': self.env_file if info is not None else None,
            'services': entries,
        }

    def load_info(self) -> dict | None:
        """The content of ``sandbox.json``, or None when the sandbox is not up."""
        try:
            with open(self.info_file, encoding='utf-8') as handle:
                info = json.load(handle)
        except (OSError, ValueError):
            return None
        if not isinstance(info, dict) or info.get('version') != INFO_VERSION or not isinstance(info.get('services'), dict):
            return None
        return info

    def __enter__(self) -> Sandbox:
        self.up()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.down()

    # Start ---------------------------------------------------------------------------------------

    def _options(self) -> dict:
        return {'provision_delay': self.provision_delay, 'rate_limit_per_minute': self.rate_limit_per_minute}

    def _reusable(self, info: dict) -> bool:
        if info.get('options') != self._options():
            return False
        if set(info['services']) != {service.name for service in self.services}:
            return False
        return self.status()['healthy']

    def _start(self) -> dict:
        certs = ensure_certificates(self.ca_dir)
        os.makedirs(self.logs_dir, mode=0o700, exist_ok=True)
        ssl_context = client_ssl_context(certs.bundle)
        launched: list[_Launched] = []
        try:
            for service in self.services:
                launched.append(self._launch(service, certs))
            failure = self._wait_all_ready(launched, ssl_context)
        except BaseException:
            self._stop_launched(launched)
            raise
        if failure is not None:
            self._stop_launched(launched)
            log = self.log_file(failure.service)
            tail = _log_tail(log)
            raise SandboxError(
                'sandbox service %r failed to start: %s\nlog %s (last lines):\n%s'
                % (failure.service, failure.reason, log, _indent(tail or '(empty)')),
                service=failure.service, log_tail=tail)

        env = {
            'FEDIOPS_SANDBOX_DIR': self.state_dir,
            'REQUESTS_CA_BUNDLE': certs.bundle,
            'SSL_CERT_FILE': certs.bundle,
            'CURL_CA_BUNDLE': certs.bundle,
            'AWS_CA_BUNDLE': certs.bundle,
        }
        services = {}
        for item in launched:
            env.update(item.service.build_env(item.ctx, item.url))
            services[item.service.name] = {
                'name': item.service.name,
                'url': item.url,
                'health_url': item.url + item.service.health_path,
                'pid': item.proc.pid,
                'pid_file': self.pid_file(item.service.name),
                'log': item.log,
            }
        peers = {item.service.name: (item.ctx, item.url) for item in launched}
        try:
            for item in launched:
                if item.service.link is not None:
                    item.service.link(item.ctx, item.url, peers)
        except Exception as exc:
            self._stop_launched(launched)
            raise SandboxError('sandbox wiring failed: %s' % exc) from exc
        info = {
            'version': INFO_VERSION,
            'state_dir': self.state_dir,
            'repo_root': self.repo_root,
            'started_at': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
            'options': self._options(),
            'ca_bundle': certs.bundle,
            'env_file': self.env_file,
            'services': services,
            'env': env,
        }
        write_file_atomic(self.env_file, render_env_file(env).encode('utf-8'), 0o600)
        write_file_atomic(self.info_file, (json.dumps(info, indent=2, sort_keys=True) + '\n').encode('utf-8'), 0o600)
        return info

    def _launch(self, service: Service, certs: CertPaths) -> _Launched:
        ready_file = self.ready_file(service.name)
        _remove(ready_file)
        ctx = ServiceContext(
            name=service.name,
            python=self.python,
            repo_root=self.repo_root,
            state_dir=self.state_dir,
            certs=certs,
            ready_file=ready_file,
            port=0 if service.ready_file else _free_port(),
            secrets=dict(service.make_secrets()),
            provision_delay=self.provision_delay,
            rate_limit_per_minute=self.rate_limit_per_minute,
        )
        argv = [str(arg) for arg in service.build_argv(ctx)]
        log = self.log_file(service.name)
        with open(log, 'wb') as log_handle:
            try:
                proc = subprocess.Popen(
                    argv, cwd=self.repo_root, env=self._child_env(), stdin=subprocess.DEVNULL,
                    stdout=log_handle, stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
            except OSError as exc:
                raise SandboxError('sandbox service %r could not be started (%s): %s'
                                   % (service.name, shlex.join(argv), exc), service=service.name) from exc
        self._procs[proc.pid] = proc
        write_file_atomic(self.pid_file(service.name), b'%d\n' % proc.pid, 0o644)
        url = None if service.ready_file else 'https://%s:%d' % (HOST, ctx.port)
        return _Launched(service=service, ctx=ctx, proc=proc, log=log, url=url)

    def _child_env(self) -> dict:
        env = dict(os.environ)
        env['PYTHONUNBUFFERED'] = '1'
        env['PYTHONPATH'] = os.pathsep.join([self.repo_root] + [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p])
        return env

    def _wait_all_ready(self, launched: list[_Launched], ssl_context: ssl.SSLContext) -> _NotReady | None:
        """Wait for all services at once; return the first failure (the others are abandoned)."""
        if not launched:
            return None
        abort = threading.Event()
        failures = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(launched), thread_name_prefix='sandbox-wait') as pool:
            futures = [pool.submit(self._wait_ready, item, ssl_context, abort) for item in launched]
            try:
                for future in concurrent.futures.as_completed(futures):
                    exc = future.exception()
                    if exc is not None:
                        abort.set()
                        failures.append(exc)
            except BaseException:
                abort.set()
                raise
        for failure in failures:
            if not isinstance(failure, _NotReady):
                raise failure
        return failures[0] if failures else None

    def _wait_ready(self, item: _Launched, ssl_context: ssl.SSLContext, abort: threading.Event) -> None:
        name = item.service.name
        deadline = time.monotonic() + self.startup_timeout
        detail = 'no ready file %s yet' % item.ctx.ready_file
        while not abort.is_set():
            code = item.proc.poll()
            if code is not None:
                raise _NotReady(name, 'the process exited with status %d before it was ready' % code)
            if item.url is None:
                item.url = _read_ready_url(name, item.ctx.ready_file)
            if item.url is not None:
                ok, detail = _probe(item.service, item.url, ssl_context)
                if ok:
                    return
            if time.monotonic() > deadline:
                raise _NotReady(name, 'not ready after %g s (%s)' % (self.startup_timeout, detail))
            time.sleep(POLL_INTERVAL)

    # Stop ----------------------------------------------------------------------------------------

    def _stop_launched(self, launched: list[_Launched]) -> None:
        # A process that already exited has been reaped by poll(): its pid may belong to someone else now.
        self._terminate([item.proc.pid for item in launched if item.proc.poll() is None])
        for item in launched:
            self._cleanup_service_files(item.service.name)

    def _stop_everything(self, info: dict | None) -> None:
        names = {service.name for service in self.services}
        pids = set()
        if info is not None:
            names.update(info['services'])
            pids.update(entry.get('pid') for entry in info['services'].values())
        for name in names:
            pids.add(_read_pid(self.pid_file(name)))
        self._terminate([pid for pid in pids if isinstance(pid, int) and self._is_ours(pid)])
        for name in names:
            self._cleanup_service_files(name)
        _remove(self.info_file)
        _remove(self.env_file)

    def _cleanup_service_files(self, name: str) -> None:
        _remove(self.pid_file(name))
        _remove(self.ready_file(name))

    def _terminate(self, pids: list[int]) -> None:
        """SIGTERM each process group, wait up to ``stop_timeout``, then SIGKILL what is left."""
        for pid in pids:
            _signal_group(pid, signal.SIGTERM)
        remaining = self._wait_gone(pids, self.stop_timeout)
        for pid in remaining:
            _signal_group(pid, signal.SIGKILL)
        self._wait_gone(remaining, 5.0)
        for pid in pids:
            self._procs.pop(pid, None)

    def _wait_gone(self, pids: list[int], timeout: float) -> list[int]:
        deadline = time.monotonic() + timeout
        remaining = [pid for pid in pids if self._alive(pid)]
        while remaining and time.monotonic() < deadline:
            time.sleep(POLL_INTERVAL)
            remaining = [pid for pid in remaining if self._alive(pid)]
        return remaining

    def _alive(self, pid: int) -> bool:
        proc = self._procs.get(pid)
        if proc is not None:
            return proc.poll() is None
        return pid_alive(pid)

    def _is_ours(self, pid: int) -> bool:
        """True when ``pid`` runs a command that names a path inside this state directory."""
        if pid <= 0 or pid == os.getpid():
            return False
        argv = process_argv(pid)
        if not argv:
            return False
        prefix = self.state_dir + os.sep
        return any(arg == self.state_dir or arg.startswith(prefix) or ('=' + prefix) in arg for arg in argv)

    @contextlib.contextmanager
    def _locked(self) -> t.Iterator[None]:
        fd = os.open(os.path.join(self.state_dir, '.lock'), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


# Helpers ---------------------------------------------------------------------------------------


def client_ssl_context(ca_bundle: str) -> ssl.SSLContext:
    """An SSL context trusting the sandbox CA only."""
    return ssl.create_default_context(cafile=ca_bundle)


def https_get_status(url: str, ssl_context: ssl.SSLContext, timeout: float = PROBE_TIMEOUT) -> int:
    """GET ``url`` over verified HTTPS and return the status code."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPSConnection(parts.hostname, parts.port or 443, context=ssl_context, timeout=timeout)
    try:
        conn.request('GET', parts.path or '/', headers={'Connection': 'close'})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def render_env_file(env: t.Mapping[str, str]) -> str:
    lines = ['# fediops.mastodon sandbox: source this file (bash/sh) to point clients at the stand-ins.']
    lines += ['export %s=%s' % (name, shlex.quote(str(value))) for name, value in env.items()]
    return '\n'.join(lines) + '\n'


def pid_alive(pid: int) -> bool:
    """True when ``pid`` exists and is not a zombie."""
    try:
        with open('/proc/%d/stat' % pid, encoding='utf-8', errors='replace') as handle:
            stat = handle.read()
    except FileNotFoundError:
        return False
    except OSError:
        stat = None
    if stat is not None:
        fields = stat.rsplit(')', 1)[-1].split()
        return bool(fields) and fields[0] not in ('Z', 'X')
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_argv(pid: int) -> list[str]:
    """The command line of ``pid`` (empty when unknown)."""
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            raw = handle.read()
    except FileNotFoundError:
        return []
    except OSError:
        raw = None
    if raw is not None:
        return [arg.decode('utf-8', 'surrogateescape') for arg in raw.split(b'\0') if arg]
    try:
        result = subprocess.run(['ps', '-ww', '-o', 'command=', '-p', str(pid)], capture_output=True, text=True, check=False)
    except OSError:
        return []
    return result.stdout.split()


def _signal_group(pid: int, signum: int) -> None:
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, signum)
        else:
            os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _probe(service: Service, url: str, ssl_context: ssl.SSLContext) -> tuple[bool, str]:
    if service.probe is not None:
        try:
            ok = bool(service.probe(url, ssl_context))
        except (OSError, http.client.HTTPException) as exc:
            return False, 'probe failed: %s' % exc
        return ok, 'healthy' if ok else 'probe failed'
    health_url = url + service.health_path
    try:
        status = https_get_status(health_url, ssl_context)
    except (OSError, http.client.HTTPException) as exc:
        return False, 'GET %s failed: %s' % (health_url, exc)
    if status != 200:
        return False, 'GET %s answered %d' % (health_url, status)
    return True, 'healthy'


def _read_ready_url(name: str, path: str) -> str | None:
    try:
        with open(path, encoding='utf-8') as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    url = data.get('url') if isinstance(data, dict) else None
    if not isinstance(url, str):
        return None
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != 'https' or parts.hostname not in LOCAL_HOSTS or not port:
        raise _NotReady(name, 'its ready file names %r, not an https URL on 127.0.0.1' % url)
    return url.rstrip('/')


def _read_pid(path: str) -> int | None:
    try:
        with open(path, encoding='utf-8') as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _log_tail(path: str, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with open(path, 'rb') as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            data = handle.read()
    except OSError:
        return ''
    return '\n'.join(data.decode('utf-8', 'replace').splitlines()[-lines:])


def _indent(text: str) -> str:
    return '\n'.join('    ' + line for line in text.splitlines())
