# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the modules that talk to the AWS stand-in (moto: S3 for Spaces, SES).

Import them into a test module: ``from tests.integration.fixtures_aws import aws_emulator, spaces_client``.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config

from tests.emulators.aws.control import AwsEmulatorControl


@pytest.fixture
def aws_emulator(sandbox):
    """The AWS stand-in, reset (every bucket and identity gone, empty request log) before the test."""
    control = AwsEmulatorControl(sandbox.aws_url, sandbox.ca_bundle)
    control.reset()
    return control


@pytest.fixture
def spaces_client(sandbox):
    """``spaces_client(region)``: a boto3 S3 client on the sandbox's Spaces endpoint with its Spaces keys,
    for tests to arrange or inspect buckets behind the modules' back."""
    def make(region='nyc3'):
        return boto3.session.Session().client(
            's3', region_name=region, endpoint_url=sandbox.env['SPACES_ENDPOINT_URL'], verify=sandbox.ca_bundle,
            aws_access_key_id=sandbox.env['SPACES_ACCESS_KEY_ID'], aws_secret_access_key=sandbox.env['SPACES_SECRET_ACCESS_KEY'],
            config=Config(s3={'addressing_style': 'path'}, signature_version='s3v4'))
    return make


def writes(emulator):
    """The write requests in the stand-in's log (S3 PUT/POST/DELETE, query-API actions other than Get/List/Describe)."""
    return [entry for entry in emulator.requests() if entry['write']]
