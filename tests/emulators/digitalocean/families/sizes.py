# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Droplet sizes (``GET /v2/sizes``): a realistic, fixed catalogue."""

from ..models import Family, Page

ALL_REGIONS = ("nyc1", "nyc3", "sfo2", "sfo3", "tor1", "ams3", "fra1", "lon1", "sgp1", "blr1", "syd1", "atl1")
_DEDICATED_REGIONS = ("nyc1", "nyc3", "sfo3", "tor1", "ams3", "fra1", "lon1", "sgp1", "blr1", "syd1")

# slug, description, vcpus, memory MiB, disk GiB, transfer TB, price per month (USD), regions
_CATALOGUE = (
    ("s-1vcpu-512mb-10gb", "Basic", 1, 512, 10, 0.5, 4.0, ALL_REGIONS),
    ("s-1vcpu-1gb", "Basic", 1, 1024, 25, 1.0, 6.0, ALL_REGIONS),
    ("s-1vcpu-2gb", "Basic", 1, 2048, 50, 2.0, 12.0, ALL_REGIONS),
    ("s-2vcpu-2gb", "Basic", 2, 2048, 60, 3.0, 18.0, ALL_REGIONS),
    ("s-2vcpu-4gb", "Basic", 2, 4096, 80, 4.0, 24.0, ALL_REGIONS),
    ("s-4vcpu-8gb", "Basic", 4, 8192, 160, 5.0, 48.0, ALL_REGIONS),
    ("s-8vcpu-16gb", "Basic", 8, 16384, 320, 6.0, 96.0, ALL_REGIONS),
    ("c-2", "CPU-Optimized", 2, 4096, 25, 4.0, 42.0, _DEDICATED_REGIONS),
    ("c-4", "CPU-Optimized", 4, 8192, 50, 5.0, 84.0, _DEDICATED_REGIONS),
    ("g-2vcpu-8gb", "General Purpose", 2, 8192, 25, 4.0, 63.0, _DEDICATED_REGIONS),
    ("g-4vcpu-16gb", "General Purpose", 4, 16384, 50, 5.0, 126.0, _DEDICATED_REGIONS),
    ("m-2vcpu-16gb", "Memory-Optimized", 2, 16384, 50, 4.0, 84.0, _DEDICATED_REGIONS),
)


def _size(slug, description, vcpus, memory, disk, transfer, monthly, regions):
    return {
        "slug": slug,
        "memory": memory,
        "vcpus": vcpus,
        "disk": disk,
        "transfer": transfer,
        "price_monthly": monthly,
        # DigitalOcean bills at most 672 hours a month.
        "price_hourly": round(monthly / 672.0, 5),
        "regions": list(regions),
        "available": True,
        "description": description,
        "disk_info": [{"type": "local", "size": {"amount": disk, "unit": "gib"}}],
    }


SIZES = tuple(_size(*row) for row in _CATALOGUE)


def sizes_in(region):
    """Slugs of the sizes offered in ``region``."""
    return [size["slug"] for size in SIZES if region in size["regions"]]


class SizesFamily(Family):
    name = "sizes"
    operations = {"sizes_list": "list_sizes"}

    def list_sizes(self, call):
        del call
        return Page("sizes", [dict(size, regions=list(size["regions"])) for size in SIZES])
