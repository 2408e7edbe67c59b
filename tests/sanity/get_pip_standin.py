# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline stand-in for ansible-test's pip bootstrap script (get-pip-<version>.py).

ansible-test downloads get-pip from a host that our build machines cannot reach, and otherwise
runs ~/.ansible/test/cache/get_pip_<version>.py from its cache. The Makefile installs this file
there. It bootstraps pip with the interpreter's own ensurepip, then installs the packages
ansible-test asked for from the configured package index.
"""

from __future__ import annotations

import subprocess
import sys

DROPPED_OPTIONS = frozenset(('--no-setuptools', '--no-wheel'))


def main(argv):
    """Bootstrap pip, then install what ansible-test asked for."""
    subprocess.run([sys.executable, '-m', 'ensurepip', '--upgrade'], check=True, stdout=subprocess.DEVNULL)
    options = [arg for arg in argv if arg not in DROPPED_OPTIONS]
    subprocess.run([sys.executable, '-m', 'pip', 'install', '--quiet'] + options, check=True)


if __name__ == '__main__':
    main(sys.argv[1:])
