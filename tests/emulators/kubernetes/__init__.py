# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kubernetes API stand-in (see README.md): ``python -m tests.emulators.kubernetes`` or :class:`KubernetesEmulator`."""

from .kubeconfig import kubeconfig_document, write_kubeconfig
from .server import KubernetesEmulator

__all__ = ["KubernetesEmulator", "kubeconfig_document", "write_kubeconfig"]
