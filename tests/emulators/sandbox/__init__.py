# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sandbox: local HTTPS stand-ins shared by ``make demo``, the integration tests and Molecule."""

from __future__ import annotations

from .launcher import Sandbox, SandboxError
from .services import Service, ServiceContext, default_services

__all__ = ['Sandbox', 'SandboxError', 'Service', 'ServiceContext', 'default_services']
