# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CustomResourceDefinitions the stand-in starts with: Gateway API (DOKS manages it) and cert-manager.

They are read from the shared directory (env ``FEDIOPS_SHARED_DIR``, else ``<repo>/../shared``):
``gateway-api/*.yaml`` and ``cert-manager/*.yaml``. A missing directory or file is an error.
"""

import glob
import os

import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CRD_DIRECTORIES = ("gateway-api", "cert-manager")


class SharedDirError(RuntimeError):
    """The shared directory with the CRDs is missing or incomplete."""


def shared_dir():
    return os.environ.get("FEDIOPS_SHARED_DIR") or os.path.join(os.path.dirname(REPO_ROOT), "shared")


def load_preinstalled_crds(directory=None):
    """The CRD documents of the shared directory, in file order."""
    directory = directory or shared_dir()
    crds = []
    for sub in CRD_DIRECTORIES:
        files = sorted(glob.glob(os.path.join(directory, sub, "*.yaml")))
        if not files:
            raise SharedDirError("no CRDs in %s (set FEDIOPS_SHARED_DIR to the directory holding gateway-api/ and cert-manager/)"
                                 % os.path.join(directory, sub))
        for path in files:
            with open(path, encoding="utf-8") as handle:
                for document in yaml.safe_load_all(handle):
                    if isinstance(document, dict) and document.get("kind") == "CustomResourceDefinition":
                        crds.append(document)
    return crds
