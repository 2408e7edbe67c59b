# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the containers of a pod spec stored in the Kubernetes stand-in on this machine.

The scripts are the ConfigMap's data as stored in the cluster, the environment is the container's
``env``/``envFrom`` resolved from the stored Secret and ConfigMap (``env`` wins over ``envFrom``, as in
Kubernetes), and each volume is a local directory: configMap/secret volumes hold their keys as files,
emptyDirs start empty and are shared by the pod's containers. A mount path in a command argument or an
environment value is replaced by its local directory; nothing else is changed. The binaries come from
this machine's PATH (Debian's pg_dump/pg_restore 15 and rclone 1.60).
"""

from __future__ import annotations

import base64
import os
import subprocess
from dataclasses import dataclass


@dataclass
class ContainerRun:
    name: str
    returncode: int
    output: str


class PodRunner:
    """``PodRunner(control, namespace, workdir)``: ``run(pod_spec)`` runs init containers then containers, in order."""

    def __init__(self, control, namespace, workdir, base_env=None):
        self.control = control
        self.namespace = namespace
        self.workdir = workdir
        self.base_env = dict(base_env or {'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'LANG': 'C.UTF-8'})
        self.count = 0

    def _stored(self, resource, name):
        for item in self.control.objects(resource, self.namespace):
            if item['metadata']['name'] == name:
                return item
        return None

    def secret_data(self, name):
        secret = self._stored('secrets', name)
        if secret is None:
            return None
        return {key: base64.b64decode(value).decode('utf-8') for key, value in (secret.get('data') or {}).items()}

    def configmap_data(self, name):
        configmap = self._stored('configmaps', name)
        return None if configmap is None else dict(configmap.get('data') or {})

    def _volumes(self, pod_spec, root):
        paths = {}
        for volume in pod_spec.get('volumes', []):
            path = os.path.join(root, volume['name'])
            os.makedirs(path)
            if 'configMap' in volume:
                data = self.configmap_data(volume['configMap']['name'])
            elif 'secret' in volume:
                data = self.secret_data(volume['secret']['secretName'])
            else:
                data = {}
            if data is None:
                raise AssertionError('volume %s refers to a missing object: %s' % (volume['name'], volume))
            for key, value in data.items():
                with open(os.path.join(path, key), 'w', encoding='utf-8') as handle:
                    handle.write(value)
            paths[volume['name']] = path
        return paths

    def environment(self, container):
        """The container's environment as Kubernetes builds it (without path rewriting)."""
        env = dict(self.base_env)
        for source in container.get('envFrom', []):
            if 'secretRef' in source:
                data = self.secret_data(source['secretRef']['name'])
            else:
                data = self.configmap_data(source['configMapRef']['name'])
            if data is None and not (source.get('secretRef') or source.get('configMapRef')).get('optional'):
                raise AssertionError('envFrom refers to a missing object: %s' % source)
            env.update({(source.get('prefix') or '') + key: value for key, value in (data or {}).items()})
        for entry in container.get('env', []):
            if 'value' in entry:
                env[entry['name']] = entry['value']
                continue
            ref = entry.get('valueFrom', {})
            if 'secretKeyRef' in ref:
                key_ref, data = ref['secretKeyRef'], self.secret_data(ref['secretKeyRef']['name'])
            elif 'configMapKeyRef' in ref:
                key_ref, data = ref['configMapKeyRef'], self.configmap_data(ref['configMapKeyRef']['name'])
            else:
                raise AssertionError('unsupported env source in %s' % entry)
            if data is not None and key_ref['key'] in data:
                env[entry['name']] = data[key_ref['key']]
            elif not key_ref.get('optional'):
                raise AssertionError('missing env source for %s' % entry)
        return env

    def _container(self, container, volumes, command=None, timeout=300):
        mounts = sorted(((mount['mountPath'], volumes[mount['name']]) for mount in container.get('volumeMounts', [])),
                        key=lambda pair: -len(pair[0]))

        def local(value):
            for mount_path, path in mounts:
                if value == mount_path or value.startswith(mount_path + '/'):
                    return path + value[len(mount_path):]
            return value

        env = {key: local(value) for key, value in self.environment(container).items()}
        command = [local(part) for part in (command or container.get('command', []) + container.get('args', []))]
        proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, check=False)
        return ContainerRun(container['name'], proc.returncode, proc.stdout + proc.stderr)

    def run(self, pod_spec, only=None, timeout=300):
        """Run the pod's containers (or those named in ``only``), init containers first; stop at the first that
        fails (as a pod with restartPolicy Never does)."""
        self.count += 1
        volumes = self._volumes(pod_spec, os.path.join(self.workdir, 'pod-%02d' % self.count))
        runs = []
        for container in pod_spec.get('initContainers', []) + pod_spec['containers']:
            if only is not None and container['name'] not in only:
                continue
            runs.append(self._container(container, volumes, timeout=timeout))
            if runs[-1].returncode != 0:
                break
        return runs

    def exec(self, pod_spec, container_name, command, timeout=300):
        """Run ``command`` (mount paths in it are mapped) in a container's environment and volumes, as
        ``kubectl exec`` would in a running pod."""
        self.count += 1
        volumes = self._volumes(pod_spec, os.path.join(self.workdir, 'pod-%02d' % self.count))
        container = next(item for item in pod_spec.get('initContainers', []) + pod_spec['containers'] if item['name'] == container_name)
        return self._container(container, volumes, command=command, timeout=timeout)
