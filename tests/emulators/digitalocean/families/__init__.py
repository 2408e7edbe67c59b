# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The registry of resource families.

To add a family: write ``families/<name>.py`` with a :class:`~..models.Family` subclass that sets
``name`` and ``operations`` (operationId -> method), and append it here. A family created later in
this tuple may use the ones before it during ``seed()`` (VPCs look up regions; database clusters
register their VPC memberships).
"""

from .account import AccountFamily
from .cdn import CdnFamily
from .certificates import CertificatesFamily
from .databases import DatabasesFamily
from .domains import DomainsFamily
from .firewalls import FirewallsFamily
from .kubernetes import KubernetesFamily
from .regions import RegionsFamily
from .registry import RegistryFamily
from .sizes import SizesFamily
from .spaces_keys import SpacesKeysFamily
from .vpcs import VpcsFamily

FAMILY_CLASSES = (
    AccountFamily,
    SizesFamily,
    RegionsFamily,
    VpcsFamily,
    KubernetesFamily,
    DomainsFamily,
    DatabasesFamily,
    FirewallsFamily,
    CertificatesFamily,
    CdnFamily,
    SpacesKeysFamily,
    RegistryFamily,
)
