# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The generic async-provisioning mechanism of the model base, driven by a fake clock."""

import pytest

from tests.emulators.digitalocean.config import EmulatorConfig
from tests.emulators.digitalocean.models import Backend, FakeClock, Family, SystemClock, Transition


class Widgets(Family):
    """A stand-in family that provisions like database clusters do (creating -> online)."""

    name = "widgets"

    def seed(self):
        self.items = {}
        self.settled = []

    def create(self, key):
        self.items[key] = self.begin_transition("creating", "online", on_settle=lambda: self.settled.append(key))

    def status(self, key):
        return self.items[key].status(self.now())


@pytest.fixture
def clock():
    return FakeClock()


def _widgets(clock, **config):
    return Backend(EmulatorConfig(**config), clock=clock, family_classes=[Widgets]).family("widgets")


def test_resource_is_transitional_until_the_provision_delay_has_passed(clock):
    widgets = _widgets(clock, provision_delay=5)
    widgets.create("w")
    assert widgets.status("w") == "creating"
    clock.advance(4.9)
    assert widgets.status("w") == "creating"
    clock.advance(0.1)
    assert widgets.status("w") == "online"


def test_family_override_of_the_delay_wins_over_the_global_one(clock):
    widgets = _widgets(clock, provision_delay=60, family_provision_delay={"widgets": 1})
    widgets.create("w")
    clock.advance(1)
    assert widgets.status("w") == "online"


def test_zero_delay_settles_on_the_first_read(clock):
    widgets = _widgets(clock, provision_delay=0)
    widgets.create("w")
    assert widgets.status("w") == "online"


def test_deadline_is_fixed_when_the_transition_starts(clock):
    widgets = _widgets(clock, provision_delay=10)
    widgets.create("w")
    widgets.backend.config.update({"provision_delay": 0})
    assert widgets.status("w") == "creating"
    widgets.create("later")
    assert widgets.status("later") == "online"


def test_on_settle_runs_once_on_the_first_read_after_the_deadline(clock):
    widgets = _widgets(clock, provision_delay=2)
    widgets.create("w")
    widgets.status("w")
    assert widgets.settled == []
    clock.advance(2)
    widgets.status("w")
    widgets.status("w")
    assert widgets.settled == ["w"]


def test_transition_reports_remaining_time():
    transition = Transition("provisioning", "running", deadline=100)
    assert transition.remaining(90) == 10
    assert transition.remaining(150) == 0
    assert transition.status(99.5) == "provisioning"


def test_system_clock_can_be_moved_forward():
    clock = SystemClock()
    before = clock.now()
    clock.advance(3600)
    assert clock.now() - before >= 3600


def test_two_families_serving_one_operation_is_refused():
    class First(Family):
        name = "first"
        operations = {"vpcs_list": "seed"}

    class Second(Family):
        name = "second"
        operations = {"vpcs_list": "seed"}

    with pytest.raises(ValueError, match="vpcs_list"):
        Backend(family_classes=[First, Second])


def test_per_family_delay_is_configurable_through_the_control_api(control):
    config = control.configure(provision_delay=0.5, family_provision_delay={"databases": 30})
    assert config["provision_delay"] == 0.5
    assert config["family_provision_delay"] == {"databases": 30}
    assert control.configure(family_provision_delay={"databases": None})["family_provision_delay"] == {}


def test_clock_advance_through_the_control_api_moves_the_emulator_clock(control, server):
    before = server.app.backend.clock.now()
    control.advance_clock(120)
    assert server.app.backend.clock.now() - before >= 120
