# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The account behind the token (``GET /v2/account``)."""

from ..models import Family, Result

ACCOUNT_UUID = "b6fc48dbf6d9906cace5f9e31a55a9f5a4a8a6e1"
TEAM_UUID = "5df3e3004a17e242b7c20ca6c9fc25b701a47ece"


class AccountFamily(Family):
    name = "account"
    operations = {"account_get": "get_account"}

    def seed(self):
        self.account = {
            "droplet_limit": 25,
            "floating_ip_limit": 3,
            "email": "ops@fediops.example",
            "name": "fediops sandbox",
            "uuid": ACCOUNT_UUID,
            "email_verified": True,
            "status": "active",
            "status_message": "",
            "team": {"uuid": TEAM_UUID, "name": "fediops"},
        }

    def get_account(self, call):
        del call
        return Result(200, {"account": dict(self.account, team=dict(self.account["team"]))})
