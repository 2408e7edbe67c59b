# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run-time settings of the emulator (changeable through ``POST /_emulator/config``)."""

import dataclasses

DEFAULT_SEED_REGIONS = ("tor1", "nyc3", "sfo3")
_KUBERNETES_KEYS = ("kubernetes_api_url", "kubernetes_ca_pem", "kubernetes_token")


@dataclasses.dataclass
class EmulatorConfig:
    """Settings shared by the HTTP layer and the families.

    ``tokens`` empty means any non-empty bearer token is accepted.
    ``seed_regions`` are the regions whose default VPC exists at start and after a reset.
    ``kubernetes_api_url`` (``{cluster_id}`` is replaced), ``kubernetes_ca_pem`` and ``kubernetes_token``
    go into the kubeconfigs and credentials of Kubernetes clusters, so a Kubernetes API stand-in can serve
    them; None means DigitalOcean's shape (``https://<id>.k8s.ondigitalocean.com``, a generated CA, a new
    token per request). An empty string in an update resets a setting to None.
    ``cdn_rate_limit`` (default true) applies the CDN endpoints' own limits (5 requests per 10 s, 50 purged
    files per 20 s); false switches them off so tests that do not exercise them are not slowed.
    """

    provision_delay: float = 2.0
    family_provision_delay: dict = dataclasses.field(default_factory=dict)
    rate_limit_per_minute: int = 250
    rate_limit_per_hour: int = 5000
    tokens: tuple = ()
    seed_regions: tuple = DEFAULT_SEED_REGIONS
    kubernetes_api_url: str = None
    kubernetes_ca_pem: str = None
    kubernetes_token: str = None
    cdn_rate_limit: bool = True

    def __post_init__(self):
        self.tokens = tuple(self.tokens)
        self.seed_regions = tuple(self.seed_regions)
        self.family_provision_delay = dict(self.family_provision_delay)
        self.update({
            "provision_delay": self.provision_delay,
            "family_provision_delay": self.family_provision_delay,
            "rate_limit_per_minute": self.rate_limit_per_minute,
            "rate_limit_per_hour": self.rate_limit_per_hour,
            **{key: getattr(self, key) for key in _KUBERNETES_KEYS},
            "cdn_rate_limit": self.cdn_rate_limit,
        })

    def provision_delay_for(self, family):
        """Seconds a transitional status of ``family`` lasts: its override, else the global delay."""
        return self.family_provision_delay.get(family, self.provision_delay)

    def update(self, changes):
        """Apply a partial update (the body of ``POST /_emulator/config``); raises ValueError when invalid."""
        if not isinstance(changes, dict):
            raise ValueError("the config update must be a JSON object")
        known = {"provision_delay", "family_provision_delay", "rate_limit_per_minute", "rate_limit_per_hour", "cdn_rate_limit"}
        unknown = set(changes) - known - set(_KUBERNETES_KEYS)
        if unknown:
            raise ValueError("unknown config keys: %s" % ", ".join(sorted(unknown)))
        if "provision_delay" in changes:
            self.provision_delay = _seconds("provision_delay", changes["provision_delay"])
        if "family_provision_delay" in changes:
            overrides = changes["family_provision_delay"]
            if not isinstance(overrides, dict):
                raise ValueError("family_provision_delay must be an object of family name to seconds")
            merged = dict(self.family_provision_delay)
            for family, value in overrides.items():
                if value is None:
                    merged.pop(family, None)
                else:
                    merged[family] = _seconds("family_provision_delay.%s" % family, value)
            self.family_provision_delay = merged
        for key in ("rate_limit_per_minute", "rate_limit_per_hour"):
            if key in changes:
                value = changes[key]
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ValueError("%s must be a positive integer" % key)
                setattr(self, key, value)
        for key in _KUBERNETES_KEYS:
            if key in changes:
                setattr(self, key, _kubernetes_setting(key, changes[key]))
        if "cdn_rate_limit" in changes:
            if not isinstance(changes["cdn_rate_limit"], bool):
                raise ValueError("cdn_rate_limit must be true or false")
            self.cdn_rate_limit = changes["cdn_rate_limit"]

    def as_dict(self):
        return {
            "provision_delay": self.provision_delay,
            "family_provision_delay": dict(self.family_provision_delay),
            "rate_limit_per_minute": self.rate_limit_per_minute,
            "rate_limit_per_hour": self.rate_limit_per_hour,
            "tokens_required": bool(self.tokens),
            "seed_regions": list(self.seed_regions),
            "kubernetes_api_url": self.kubernetes_api_url,
            "kubernetes_ca_pem": self.kubernetes_ca_pem,
            "kubernetes_token_fixed": bool(self.kubernetes_token),
            "cdn_rate_limit": self.cdn_rate_limit,
        }


def _seconds(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError("%s must be a number of seconds >= 0" % name)
    return float(value)


def _kubernetes_setting(name, value):
    """A Kubernetes setting: None or "" (back to DigitalOcean's shape), else a checked string."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("%s must be a string" % name)
    if name == "kubernetes_api_url" and not value.startswith("https://"):
        raise ValueError("kubernetes_api_url must be an https:// URL (got %r)" % value)
    if name == "kubernetes_ca_pem" and "-----BEGIN CERTIFICATE-----" not in value:
        raise ValueError("kubernetes_ca_pem must be a PEM certificate (-----BEGIN CERTIFICATE-----)")
    if name == "kubernetes_token" and (len(value) < 8 or any(char.isspace() for char in value)):
        raise ValueError("kubernetes_token must be at least 8 characters without whitespace")
    return value
