# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Spaces access keys: grants, the secret shown once, rename-only updates."""

import pytest

MEDIA = [{"bucket": "mastodon-media", "permission": "readwrite"}, {"bucket": "mastodon-backups", "permission": "read"}]


def test_create_returns_the_secret_once(do_client):
    created = do_client.spaces_key.create(body={"name": "mastodon", "grants": MEDIA})["key"]
    assert created["access_key"].startswith("DO") and len(created["access_key"]) == 20
    assert len(created["secret_key"]) == 43
    assert created["grants"] == MEDIA
    fetched = do_client.spaces_key.get(created["access_key"])["key"]
    assert "secret_key" not in fetched
    assert fetched == {key: value for key, value in created.items() if key != "secret_key"}
    listed = do_client.spaces_key.list()["keys"]
    assert [key["access_key"] for key in listed] == [created["access_key"]] and "secret_key" not in listed[0]


def test_full_access_key_has_the_empty_bucket(do_client):
    created = do_client.spaces_key.create(body={"name": "admin", "grants": [{"bucket": "", "permission": "fullaccess"}]})["key"]
    assert created["grants"] == [{"bucket": "", "permission": "fullaccess"}]


@pytest.mark.parametrize("grants, words", [
    ([{"bucket": "", "permission": "fullaccess"}, {"bucket": "media", "permission": "read"}], "Cannot mix fullaccess"),
    ([{"bucket": "media", "permission": "fullaccess"}], "takes the bucket \"\""),
    ([{"bucket": "media", "permission": "write"}], "permission 'write' is not valid"),
    ([{"bucket": "media", "permission": ""}], "permission '' is not valid"),
    ([{"bucket": "Bad_Bucket", "permission": "read"}], "not a valid bucket name"),
    ([{"bucket": "media", "permission": "read"}, {"bucket": "media", "permission": "readwrite"}], "more than once"),
])
def test_invalid_grants_are_a_400_and_create_nothing(api, control, grants, words):
    response = api.post("/v2/spaces/keys", json={"name": "bad", "grants": grants})
    assert response.status_code == 400
    assert response.json()["id"] == "bad_request"
    assert words in response.json()["message"]
    assert control.state()["spaces_keys"] == []


def test_updates_rename_only(do_client, api):
    created = do_client.spaces_key.create(body={"name": "mastodon", "grants": MEDIA})["key"]
    path = "/v2/spaces/keys/%s" % created["access_key"]
    renamed = do_client.spaces_key.patch(created["access_key"], body={"name": "mastodon-2"})["key"]
    assert renamed["name"] == "mastodon-2" and renamed["grants"] == MEDIA
    same_grants = api.put(path, json={"name": "mastodon-3", "grants": list(reversed(MEDIA))})
    assert same_grants.status_code == 200 and same_grants.json()["key"]["name"] == "mastodon-3"
    response = api.put(path, json={"name": "mastodon-3", "grants": [{"bucket": "mastodon-media", "permission": "read"}]})
    assert response.status_code == 400
    assert "only update the name" in response.json()["message"]
    assert api.put(path, json={"grants": MEDIA}).status_code == 422  # PUT needs the name
    assert do_client.spaces_key.get(created["access_key"])["key"]["grants"] == MEDIA


def test_list_filters_and_sorts(do_client):
    for name, grants in (("b-key", MEDIA), ("a-key", [{"bucket": "other", "permission": "read"}]), ("b-key", [])):
        do_client.spaces_key.create(body={"name": name, "grants": grants})
    assert len(do_client.spaces_key.list(name="b-key")["keys"]) == 2
    assert [k["name"] for k in do_client.spaces_key.list(bucket="other")["keys"]] == ["a-key"]
    assert [k["name"] for k in do_client.spaces_key.list(permission="readwrite")["keys"]] == ["b-key"]
    assert [k["name"] for k in do_client.spaces_key.list(sort="name", sort_direction="asc")["keys"]] == ["a-key", "b-key", "b-key"]
    newest_first = do_client.spaces_key.list()["keys"]
    assert [k["name"] for k in newest_first] == ["b-key", "a-key", "b-key"] and newest_first[0]["grants"] == []


def test_delete_and_unknown_keys(do_client, api):
    created = do_client.spaces_key.create(body={"name": "mastodon", "grants": MEDIA})["key"]
    assert api.delete("/v2/spaces/keys/%s" % created["access_key"]).status_code == 204
    assert api.delete("/v2/spaces/keys/%s" % created["access_key"]).status_code == 404
    assert api.get("/v2/spaces/keys/%s" % created["access_key"]).status_code == 404
