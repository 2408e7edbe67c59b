# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:

    # Connection, authentication and retry options shared by every DigitalOcean module.
    DOCUMENTATION = r'''
options:
  oauth_token:
    description:
      - DigitalOcean API token (a personal access token with the scopes the module needs).
      - If not set, the first of these environment variables that is set is used, in this order
        (the ones C(doctl) and the other DigitalOcean collections read)
        E(DIGITALOCEAN_ACCESS_TOKEN), E(DIGITALOCEAN_TOKEN), E(DO_API_TOKEN), E(DO_API_KEY),
        E(DO_OAUTH_TOKEN), E(OAUTH_TOKEN).
      - The module fails when no token is found.
    type: str
    aliases: [token, api_token]
  api_url:
    description:
      - Base URL of the DigitalOcean API.
      - If not set, the environment variable E(DIGITALOCEAN_API_URL) is used, then the default.
      - Must be an C(https://) URL. TLS certificates are always verified; a private CA (for example a
        local stand-in of the API) is trusted the standard way, through E(REQUESTS_CA_BUNDLE) or
        E(SSL_CERT_FILE).
    type: str
    default: https://api.digitalocean.com
  timeout:
    description:
      - Seconds to wait for each HTTP request (connecting and reading).
    type: int
    default: 60
  max_attempts:
    description:
      - Most attempts of one API call, counting the first. V(1) turns retries off.
      - Retried are rate-limited calls (HTTP 429, waiting as long as the API asks through
        C(retry-after) or C(ratelimit-reset)), server errors (HTTP 500, 502, 503, 504) and lost
        connections, with exponential backoff and jitter.
      - A create whose response was lost is never sent twice blindly; the module first looks the
        resource up and uses it if it was created.
    type: int
    default: 8
  max_retry_time:
    description:
      - Most seconds one API call may spend retrying, waits included.
      - When the API asks to wait longer than what is left, the module fails at once and says so.
    type: int
    default: 120
requirements:
  - pydo (the official DigitalOcean Python client, tested with 0.44.0)
notes:
  - Set the connection options once for a whole play with
    C(module_defaults) and the action group C(group/fediops.mastodon.digitalocean).
  - The token is never logged nor returned; API errors are returned as C(status), C(error_id),
    C(api_message) and C(request_id) together with the C(operation) that failed.
  - DigitalOcean allows 5,000 requests per hour and 250 per minute per token.
'''
