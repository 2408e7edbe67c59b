# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:

    # What every module of the collection supports: check mode and diff mode in full, on any platform
    # (the work runs on the controller). A module documents only where it differs, under its own
    # `attributes:` key, which takes precedence over this fragment.
    DOCUMENTATION = r'''
options: {}
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: all
'''

    # The action group of the modules that talk to the DigitalOcean API (module_defaults: group/fediops.mastodon.digitalocean).
    DIGITALOCEAN = r'''
options: {}
attributes:
  action_group:
    membership:
      - fediops.mastodon.digitalocean
'''

    # The action group of the modules that talk to Spaces through its S3 API.
    SPACES = r'''
options: {}
attributes:
  action_group:
    membership:
      - fediops.mastodon.spaces
'''

    # The action group of the modules that talk to AWS.
    AWS = r'''
options: {}
attributes:
  action_group:
    membership:
      - fediops.mastodon.aws
'''
