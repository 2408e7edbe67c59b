# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cloud Firewalls through pydo and plain requests: rules, targets, limits and the waiting -> succeeded status."""

import pytest

WEB = {"protocol": "tcp", "ports": "443", "sources": {"addresses": ["0.0.0.0/0", "::/0"]}}
SSH = {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["192.0.2.0/24"]}}
DNS_OUT = {"protocol": "udp", "ports": "53", "destinations": {"addresses": ["0.0.0.0/0", "::/0"]}}


def _droplet(control, number):
    """Attach a synthetic Droplet to the default VPC of tor1, so firewalls can target it."""
    vpc_id = next(vpc["id"] for vpc in control.state()["vpcs"] if vpc["name"] == "default-tor1")
    control.attach_vpc_member(vpc_id, urn="do:droplet:%d" % number, name="web-%d" % number)
    return number


def _create(api, **body):
    return api.post("/v2/firewalls", json=dict({"name": "mastodon-fw", "inbound_rules": [WEB]}, **body))


def test_create_answers_202_waiting_then_succeeded_after_the_delay(do_client, control):
    control.configure(family_provision_delay={"firewalls": 30})
    created = do_client.firewalls.create(body={"name": "mastodon-fw", "inbound_rules": [WEB, SSH], "outbound_rules": [DNS_OUT],
                                               "tags": ["k8s:5a4981aa-9653-4bd1-bef5-d6bff52042e4"]})["firewall"]
    assert created["status"] == "waiting"
    assert created["inbound_rules"] == [WEB, SSH]
    assert created["outbound_rules"] == [DNS_OUT]
    assert created["tags"] == ["k8s:5a4981aa-9653-4bd1-bef5-d6bff52042e4"]
    assert created["droplet_ids"] == [] and created["pending_changes"] == []
    control.advance_clock(31)
    assert do_client.firewalls.get(created["id"])["firewall"]["status"] == "succeeded"


def test_icmp_and_all_ports_are_answered_as_zero(api):
    response = _create(api, inbound_rules=[{"protocol": "icmp", "ports": "0", "sources": {"addresses": ["0.0.0.0/0"]}},
                                           {"protocol": "tcp", "ports": "all", "sources": {"addresses": ["10.0.0.0/8"]}}])
    assert response.status_code == 202, response.text
    assert [rule["ports"] for rule in response.json()["firewall"]["inbound_rules"]] == ["0", "0"]


@pytest.mark.parametrize("ports", ["0-10", "70000", "9000-8000", "eighty", ""])
def test_invalid_ports_are_refused_with_422_naming_the_rule(api, control, ports):
    response = _create(api, inbound_rules=[WEB, dict(SSH, ports=ports)])
    assert response.status_code == 422, response.text
    assert "inbound_rules[1].ports" in response.json()["message"]
    assert control.state()["firewalls"] == []


@pytest.mark.parametrize("sources, words", [
    ({"addresses": ["not-an-ip"]}, ["inbound_rules[0].sources.addresses", "not-an-ip"]),
    ({"tags": ["bad tag"]}, ["inbound_rules[0].sources.tags", "bad tag"]),
    ({"droplet_ids": [4242]}, ["Droplet 4242 not found"]),
    ({"kubernetes_ids": ["5a4981aa-9653-4bd1-bef5-d6bff52042e4"]}, ["not a Kubernetes cluster"]),
    ({}, ["at least one"]),
])
def test_invalid_sources_are_refused_with_422(api, control, sources, words):
    response = _create(api, inbound_rules=[dict(WEB, sources=sources)])
    assert response.status_code == 422, response.text
    for word in words:
        assert word in response.json()["message"]
    assert control.state()["firewalls"] == []


def test_a_create_without_any_rule_is_refused(api):
    response = api.post("/v2/firewalls", json={"name": "empty", "inbound_rules": [], "outbound_rules": []})
    assert response.status_code == 422
    assert "at least one inbound or outbound rule" in response.json()["message"]


def test_duplicate_name_is_a_409_conflict_and_creates_nothing(api, control):
    assert _create(api).status_code == 202
    response = _create(api)
    assert response.status_code == 409
    assert response.json()["id"] == "conflict" and "duplicate name" in response.json()["message"]
    assert len(control.state()["firewalls"]) == 1


def test_name_outside_the_contract_pattern_is_refused(api):
    response = _create(api, name="has_underscore")
    assert response.status_code == 422
    assert "name" in response.json()["message"]


def test_droplets_must_exist_and_at_most_ten_may_be_assigned(api, control):
    droplets = [_droplet(control, 5000 + number) for number in range(11)]
    assert _create(api, droplet_ids=droplets[:10]).status_code == 202
    firewall_id = control.state()["firewalls"][0]["id"]
    response = api.post("/v2/firewalls/%s/droplets" % firewall_id, json={"droplet_ids": [droplets[10]]})
    assert response.status_code == 422
    assert "at most 10 Droplets" in response.json()["message"]
    response = api.post("/v2/firewalls/%s/droplets" % firewall_id, json={"droplet_ids": [99]})
    assert response.status_code == 422 and "Droplet 99 not found" in response.json()["message"]


def test_kubernetes_nodes_count_as_droplets_and_clusters_as_sources(do_client, api, control):
    cluster = do_client.kubernetes.create_cluster(body={"name": "mastodon", "region": "tor1", "version": "latest", "node_pools": [
        {"name": "workers", "size": "s-2vcpu-4gb", "count": 1}]})["kubernetes_cluster"]
    node_droplet = int(cluster["node_pools"][0]["nodes"][0]["droplet_id"])
    response = _create(api, droplet_ids=[node_droplet], tags=["k8s:" + cluster["id"]],
                       inbound_rules=[dict(WEB, sources={"kubernetes_ids": [cluster["id"]]})])
    assert response.status_code == 202, response.text
    assert response.json()["firewall"]["droplet_ids"] == [node_droplet]


def test_at_most_five_tags_and_fifty_rules(api):
    response = _create(api, tags=["t%d" % number for number in range(6)])
    assert response.status_code == 422 and "at most 5 tags" in response.json()["message"]
    rules = [dict(WEB, ports=str(1000 + number)) for number in range(51)]
    response = _create(api, inbound_rules=rules)
    assert response.status_code == 422 and "at most 50" in response.json()["message"]


def test_put_replaces_everything_and_resets_what_it_leaves_out(do_client, control):
    control.configure(family_provision_delay={"firewalls": 30})
    firewall = do_client.firewalls.create(body={"name": "mastodon-fw", "inbound_rules": [WEB], "outbound_rules": [DNS_OUT],
                                                "tags": ["web"]})["firewall"]
    control.advance_clock(31)
    updated = do_client.firewalls.update(firewall["id"], body={"name": "mastodon-fw-2", "inbound_rules": [SSH]})["firewall"]
    assert updated["name"] == "mastodon-fw-2"
    assert updated["inbound_rules"] == [SSH]
    assert updated["outbound_rules"] == [] and updated["tags"] == []
    assert updated["status"] == "waiting"


def test_rules_tags_and_droplets_sub_resources(do_client, control):
    droplet = _droplet(control, 7001)
    firewall = do_client.firewalls.create(body={"name": "mastodon-fw", "inbound_rules": [WEB]})["firewall"]
    do_client.firewalls.add_rules(firewall["id"], body={"inbound_rules": [SSH, WEB], "outbound_rules": [DNS_OUT]})
    do_client.firewalls.add_tags(firewall["id"], body={"tags": ["web", "web"]})
    do_client.firewalls.assign_droplets(firewall["id"], body={"droplet_ids": [droplet]})
    current = do_client.firewalls.get(firewall["id"])["firewall"]
    assert current["inbound_rules"] == [WEB, SSH]
    assert current["outbound_rules"] == [DNS_OUT]
    assert current["tags"] == ["web"] and current["droplet_ids"] == [droplet]
    reordered = {"protocol": "tcp", "ports": "443", "sources": {"addresses": ["::/0", "0.0.0.0/0"]}}
    do_client.firewalls.delete_rules(firewall["id"], body={"inbound_rules": [reordered]})
    do_client.firewalls.delete_tags(firewall["id"], body={"tags": ["web", "absent"]})
    do_client.firewalls.delete_droplets(firewall["id"], body={"droplet_ids": [droplet]})
    current = do_client.firewalls.get(firewall["id"])["firewall"]
    assert current["inbound_rules"] == [SSH]
    assert current["tags"] == [] and current["droplet_ids"] == []


def test_pending_changes_list_the_droplets_while_waiting(do_client, control):
    control.configure(family_provision_delay={"firewalls": 30})
    droplet = _droplet(control, 7002)
    firewall = do_client.firewalls.create(body={"name": "mastodon-fw", "inbound_rules": [WEB], "droplet_ids": [droplet]})["firewall"]
    assert firewall["pending_changes"] == [{"droplet_id": droplet, "removing": False, "status": "waiting"}]
    control.advance_clock(31)
    assert do_client.firewalls.get(firewall["id"])["firewall"]["pending_changes"] == []


def test_list_is_paginated_and_delete_removes(do_client, api):
    for number in range(3):
        do_client.firewalls.create(body={"name": "fw-%d" % number, "inbound_rules": [WEB]})
    page = api.get("/v2/firewalls?per_page=2").json()
    assert page["meta"]["total"] == 3 and len(page["firewalls"]) == 2 and "next" in page["links"]["pages"]
    first = page["firewalls"][0]["id"]
    do_client.firewalls.delete(first)
    assert api.delete("/v2/firewalls/%s" % first).status_code == 404
    assert api.get("/v2/firewalls/%s" % first).status_code == 404
    assert [firewall["name"] for firewall in do_client.firewalls.list()["firewalls"]] == ["fw-1", "fw-2"]
