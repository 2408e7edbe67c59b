# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:

    # Region, keys and endpoint of every module that talks to DigitalOcean Spaces through its S3 API.
    DOCUMENTATION = r'''
options:
  region:
    description:
      - Spaces region (the datacenter slug) of the bucket.
      - The regions DigitalOcean offers Spaces in are listed; the endpoint is derived from it unless
        O(endpoint_url) is set.
    type: str
    required: true
    choices: [ams3, atl1, blr1, fra1, lon1, nyc3, sfo2, sfo3, sgp1, syd1, tor1]
  spaces_access_key_id:
    description:
      - Access key id of a Spaces key (not a DigitalOcean API token, not an AWS key).
      - If not set, the environment variable E(SPACES_ACCESS_KEY_ID) is used.
      - AWS credentials (E(AWS_ACCESS_KEY_ID), C(~/.aws/credentials)) are never used for Spaces.
    type: str
    aliases: [access_key]
  spaces_secret_access_key:
    description:
      - Secret of the Spaces key. Never logged nor returned.
      - If not set, the environment variable E(SPACES_SECRET_ACCESS_KEY) is used.
    type: str
    aliases: [secret_key]
  endpoint_url:
    description:
      - URL of the S3 API to talk to instead of C(https://<region>.digitaloceanspaces.com).
      - If not set, the environment variable E(SPACES_ENDPOINT_URL) is used, then the region's endpoint.
      - Must be an C(https://) URL. TLS certificates are always verified; a private CA (for example a
        local stand-in) is trusted through E(AWS_CA_BUNDLE).
      - Buckets are addressed as C(<bucket>.<region>.digitaloceanspaces.com) on DigitalOcean's
        endpoints and by path (C(<endpoint>/<bucket>)) on any other endpoint.
    type: str
requirements:
  - boto3 (tested with 1.44)
notes:
  - Requests are signed with AWS Signature Version 4 for the Spaces region. botocore's C(standard)
    retry mode retries throttling, server errors and lost connections with jittered backoff, at
    most 5 attempts per call.
  - Failures return C(operation), C(status), C(error_code), C(error_message) and C(request_id),
    never a traceback or a key.
  - Set the keys once for a whole play with C(module_defaults) and the action group
    C(group/fediops.mastodon.spaces).
'''
