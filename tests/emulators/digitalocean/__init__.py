# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DigitalOcean API emulator for fediops.mastodon's tests (see README.md).

``python -m tests.emulators.digitalocean --help`` runs it standalone; tests embed
:class:`EmulatorServer` and drive it with :class:`~.control.EmulatorControl`.
"""

from .config import EmulatorConfig
from .models import FakeClock, SystemClock
from .server import EmulatorServer
from .spec import SpecNotFoundError, default_spec_path, load_spec

__all__ = ["EmulatorConfig", "EmulatorServer", "FakeClock", "SpecNotFoundError", "SystemClock", "default_spec_path", "load_spec"]
