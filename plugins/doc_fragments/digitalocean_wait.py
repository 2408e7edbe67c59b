# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:

    # Options of DigitalOcean modules that wait for asynchronous resources.
    DOCUMENTATION = r'''
options:
  wait:
    description:
      - Wait until the resource reaches its target state before returning.
      - Polling starts after 2 seconds and doubles up to every 30 seconds.
    type: bool
    default: true
  wait_timeout:
    description:
      - Most seconds to wait when O(wait=true).
      - On timeout the module fails, naming what it waited for, the last state it saw and the
        elapsed time.
    type: int
    default: 1800
'''
