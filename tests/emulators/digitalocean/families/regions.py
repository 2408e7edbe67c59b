# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Regions (``GET /v2/regions``): a realistic, fixed catalogue other families validate against."""

from ..models import Family, Page
from .sizes import sizes_in

_FEATURES = ["backups", "ipv6", "metadata", "install_agent", "storage", "image_transfer"]

# slug, display name, range of the default VPC a used account has there (/20, distinct per region)
_CATALOGUE = (
    ("nyc1", "New York 1", "10.116.0.0/20"),
    ("nyc3", "New York 3", "10.108.0.0/20"),
    ("sfo2", "San Francisco 2", "10.120.0.0/20"),
    ("sfo3", "San Francisco 3", "10.124.0.0/20"),
    ("tor1", "Toronto 1", "10.118.0.0/20"),
    ("ams3", "Amsterdam 3", "10.110.0.0/20"),
    ("fra1", "Frankfurt 1", "10.114.0.0/20"),
    ("lon1", "London 1", "10.106.0.0/20"),
    ("sgp1", "Singapore 1", "10.104.0.0/20"),
    ("blr1", "Bangalore 1", "10.122.0.0/20"),
    ("syd1", "Sydney 1", "10.126.0.0/20"),
    ("atl1", "Atlanta 1", "10.128.0.0/20"),
)


class RegionsFamily(Family):
    name = "regions"
    operations = {"regions_list": "list_regions"}

    def seed(self):
        self.regions = [
            {"slug": slug, "name": display, "features": list(_FEATURES), "available": True, "sizes": sizes_in(slug)}
            for slug, display, dummy in _CATALOGUE
        ]
        self.default_vpc_ranges = {slug: ip_range for slug, dummy, ip_range in _CATALOGUE}

    def slugs(self):
        return [region["slug"] for region in self.regions]

    def exists(self, slug):
        return any(region["slug"] == slug for region in self.regions)

    def default_vpc_range(self, slug):
        return self.default_vpc_ranges[slug]

    def list_regions(self, call):
        del call
        return Page("regions", [dict(region, features=list(region["features"]), sizes=list(region["sizes"])) for region in self.regions])
