# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ses_smtp_password: AWS's SigV4 SMTP password algorithm, against published vectors and by its properties."""

import base64

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.fediops.mastodon.plugins.filter.ses_smtp_password import FilterModule, ses_smtp_password

# Published vectors of an independent implementation known to authenticate against SES: terraform-provider-aws,
# internal/service/iam/access_key_test.go, TestSESSMTPPasswordFromSecretKeySigV4.
PUBLISHED = [
    ('some+secret+key', 'eu-central-1', 'BMXhUYlu5Z3gSXVQORxlVa7XPaz91aGWdfHxvkOZdWZ2'),
    ('another+secret+key', 'eu-central-1', 'BBbphbrQmrKMx42d1N6+C7VINYEBGI5v9VsZeTxwskfh'),
    ('some+secret+key', 'us-west-1', 'BH+jbMzper5WwlwUar9E1ySBqHa9whi0GPo+sJ0mVYJj'),
    ('another+secret+key', 'us-west-1', 'BKVmjjMDFk/qqw8EROW99bjCS65PF8WKvK5bSr4Y6EqF'),
]
SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'


@pytest.mark.parametrize('secret, region, expected', PUBLISHED)
def test_matches_the_published_vectors(secret, region, expected):
    assert ses_smtp_password(secret, region) == expected


def test_password_is_44_base64_chars_of_33_bytes_starting_with_version_4():
    password = ses_smtp_password(SECRET, 'us-east-1')
    raw = base64.b64decode(password, validate=True)
    assert len(password) == 44
    assert len(raw) == 33
    assert raw[0] == 0x04


def test_password_differs_per_region_and_per_secret_and_is_deterministic():
    regions = ['us-east-1', 'us-east-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2']
    passwords = [ses_smtp_password(SECRET, region) for region in regions]
    assert len(set(passwords)) == len(regions)
    assert ses_smtp_password(SECRET, 'eu-west-1') == ses_smtp_password(SECRET, 'eu-west-1')
    assert ses_smtp_password(SECRET + 'x', 'eu-west-1') != ses_smtp_password(SECRET, 'eu-west-1')


@pytest.mark.parametrize('region', ['', 'US-EAST-1', 'useast1', 'us-east', None, 'eu-west-1; rm'])
def test_invalid_region_fails_naming_the_value_and_what_is_allowed(region):
    with pytest.raises(AnsibleFilterError) as error:
        ses_smtp_password(SECRET, region)
    assert repr(region) in str(error.value)
    assert 'allowed: an AWS region name' in str(error.value)


@pytest.mark.parametrize('secret', ['', None, 42])
def test_missing_secret_fails_without_echoing_it(secret):
    with pytest.raises(AnsibleFilterError) as error:
        ses_smtp_password(secret, 'us-east-1')
    assert 'non-empty secret access key' in str(error.value)


def test_invalid_region_error_never_contains_the_secret():
    with pytest.raises(AnsibleFilterError) as error:
        ses_smtp_password(SECRET, 'nowhere')
    assert SECRET not in str(error.value)


def test_filter_is_registered_under_its_name():
    assert FilterModule().filters()['ses_smtp_password'] is ses_smtp_password
