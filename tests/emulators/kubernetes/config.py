# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run-time settings of the stand-in (``GET``/``POST /_emulator/config``)."""

import dataclasses
import fnmatch

DEFAULT_KUBERNETES_VERSION = "1.33"


@dataclasses.dataclass
class EmulatorConfig:
    """Settings shared by the HTTP layer, the models and the controller.

    ``ready_delay``: seconds a pod takes to become ready (or to finish, for Job pods), a Gateway to be
    programmed, a LoadBalancer Service to get its address, a Certificate to be issued.
    ``failing_images``: image references (fnmatch globs) whose containers exit with code 1: their
    Deployments never become available, their Jobs fail.
    ``pod_logs``: image glob -> the text ``GET .../pods/<name>/log`` answers for its containers.
    ``progress_deadline``: when set, replaces every Deployment's ``spec.progressDeadlineSeconds``.
    ``tokens``: the bearer tokens accepted (empty: any non-empty token).
    """

    ready_delay: float = 1.0
    failing_images: list = dataclasses.field(default_factory=list)
    pod_logs: dict = dataclasses.field(default_factory=dict)
    progress_deadline: float = None
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    tokens: tuple = ()

    def __post_init__(self):
        self.tokens = tuple(self.tokens)
        self.update({"ready_delay": self.ready_delay, "failing_images": list(self.failing_images), "pod_logs": dict(self.pod_logs),
                     "progress_deadline": self.progress_deadline})

    def update(self, changes):
        """Apply a partial update; raises ValueError when invalid (nothing is changed then)."""
        if not isinstance(changes, dict):
            raise ValueError("the config update must be a JSON object")
        unknown = set(changes) - {"ready_delay", "failing_images", "pod_logs", "progress_deadline"}
        if unknown:
            raise ValueError("unknown config keys: %s" % ", ".join(sorted(unknown)))
        staged = {}
        if "ready_delay" in changes:
            staged["ready_delay"] = _seconds("ready_delay", changes["ready_delay"])
        if "progress_deadline" in changes:
            value = changes["progress_deadline"]
            staged["progress_deadline"] = None if value is None else _seconds("progress_deadline", value)
        if "failing_images" in changes:
            images = changes["failing_images"]
            if not isinstance(images, list) or not all(isinstance(image, str) and image for image in images):
                raise ValueError("failing_images must be a list of image references (globs allowed)")
            staged["failing_images"] = list(images)
        if "pod_logs" in changes:
            logs = changes["pod_logs"]
            if not isinstance(logs, dict) or not all(isinstance(key, str) and isinstance(value, str) for key, value in logs.items()):
                raise ValueError("pod_logs must be an object of image glob -> log text")
            staged["pod_logs"] = dict(logs)
        for key, value in staged.items():
            setattr(self, key, value)

    def image_fails(self, image):
        return any(fnmatch.fnmatchcase(image or "", pattern) for pattern in self.failing_images)

    def log_for(self, image):
        for pattern, text in self.pod_logs.items():
            if fnmatch.fnmatchcase(image or "", pattern):
                return text
        return None

    def as_dict(self):
        return {
            "ready_delay": self.ready_delay,
            "failing_images": list(self.failing_images),
            "pod_logs": dict(self.pod_logs),
            "progress_deadline": self.progress_deadline,
            "kubernetes_version": self.kubernetes_version,
            "tokens_required": bool(self.tokens),
        }


def _seconds(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError("%s must be a number of seconds >= 0" % name)
    return float(value)
