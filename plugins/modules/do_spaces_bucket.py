#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fediops.mastodon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: do_spaces_bucket
short_description: Manage DigitalOcean Spaces buckets (ACL, CORS, lifecycle, versioning)
version_added: 0.1.0
description:
  - Create, update and delete a DigitalOcean Spaces bucket through the Spaces S3 API, found by its name.
  - Manages the bucket ACL, its CORS rules, its lifecycle rules and its versioning. Each of O(cors),
    O(lifecycle) and O(versioning) is left as it is when omitted.
  - Every input is validated before any call. A bucket that already exists in another region is
    never touched (a bucket cannot move).
  - 'The Mastodon media case: the bucket itself stays private (nobody can list it), while Mastodon
    uploads every media file with the C(public-read) object ACL (C(S3_PERMISSION)) and serves it through
    the Spaces CDN (C(S3_ALIAS_HOST)); a CORS rule allows C(GET) and C(HEAD) from the web origin.'
author:
  - fediops.mastodon contributors (@fediops)
options:
  name:
    description:
      - Name of the bucket. 3 to 63 characters, lowercase letters, digits and dashes, starting and
        ending with a letter or digit (no periods, so that the TLS certificate of
        C(<bucket>.<region>.digitaloceanspaces.com) matches).
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the bucket, V(absent) deletes it.
      - DigitalOcean keeps a deleted bucket's name reserved for a week or more.
    type: str
    choices: [present, absent]
    default: present
  acl:
    description:
      - Canned ACL of the bucket itself (not of its objects).
      - V(private) lets only the owner list the bucket; objects stay readable when uploaded with the
        C(public-read) object ACL, which is what Mastodon does.
      - V(public-read) lets anyone list every key of the bucket; Mastodon does not need it.
      - A bucket with any other grant is reset to this ACL.
    type: str
    choices: [private, public-read]
    default: private
  cors:
    description:
      - The complete set of CORS rules of the bucket. Rules are compared as a set of normalised rules
        (order and duplicates do not matter; methods upper case, header names lower case).
      - V([]) removes every CORS rule. Omit to leave the CORS rules as they are.
    type: list
    elements: dict
    suboptions:
      allowed_origins:
        description:
          - Origins allowed to make cross-origin requests, for example V(https://mastodon.example).
            Each may hold one C(*) wildcard.
        type: list
        elements: str
        required: true
      allowed_methods:
        description:
          - HTTP methods the origins may use.
        type: list
        elements: str
        required: true
        choices: [GET, HEAD, PUT, POST, DELETE]
      allowed_headers:
        description:
          - Request headers allowed in a preflight request (C(Access-Control-Request-Headers)); V(*) allows any.
        type: list
        elements: str
      expose_headers:
        description:
          - Response headers browsers may read, for example V(ETag).
        type: list
        elements: str
      max_age_seconds:
        description:
          - Seconds a browser may cache the preflight response.
        type: int
  lifecycle:
    description:
      - The complete set of lifecycle rules of the bucket. Spaces supports expiring objects after a number
        of days and aborting incomplete multipart uploads; rules are compared as a set.
      - V([]) removes every lifecycle rule. Omit to leave the lifecycle rules as they are.
      - A rule of the bucket that uses anything else (transitions, tags, dates) never matches a rule given
        here, so it is replaced when the rules are applied.
    type: list
    elements: dict
    suboptions:
      id:
        description:
          - Identifier of the rule, unique in the bucket, at most 255 characters.
          - When omitted, an id derived from what the rule does is used, for example C(abort-uploads-7d) or
            C(cache-expire-30d).
        type: str
      prefix:
        description:
          - Key prefix the rule applies to, for example V(cache/). V("") (the default) is every object.
        type: str
        default: ''
      enabled:
        description:
          - Whether the rule is in force.
        type: bool
        default: true
      abort_incomplete_multipart_upload_days:
        description:
          - Abort multipart uploads still incomplete this many days after they started (and free their parts).
        type: int
      expiration_days:
        description:
          - Delete objects this many days after they were created.
        type: int
  versioning:
    description:
      - V(enabled) keeps every version of every object; V(suspended) stops keeping new versions (the
        versions already kept stay).
      - A bucket can never go back to unversioned, so the module never turns versioning off by itself.
        Omit to leave it as it is. V(suspended) on a bucket that was never versioned changes nothing.
    type: str
    choices: [enabled, suspended]
  force:
    description:
      - Only used with O(state=absent). A bucket that holds objects (or object versions, delete markers,
        incomplete multipart uploads) is not deleted unless this is V(true).
      - When V(true), every object version and delete marker is deleted and every incomplete multipart
        upload aborted, then the bucket. There is no undo.
    type: bool
    default: false
extends_documentation_fragment:
  - fediops.mastodon.spaces
  - fediops.mastodon.attributes
  - fediops.mastodon.attributes.SPACES
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.ACTIONGROUPS
'''

EXAMPLES = r'''
- name: Media storage of a Mastodon instance
  hosts: localhost
  gather_facts: false
  module_defaults:
    # Spaces keys once for every fediops.mastodon Spaces module of the play.
    # Without them the modules read SPACES_ACCESS_KEY_ID and SPACES_SECRET_ACCESS_KEY.
    group/fediops.mastodon.spaces:
      spaces_access_key_id: "{{ vault_spaces_key_id }}"
      spaces_secret_access_key: "{{ vault_spaces_secret }}"
  tasks:
    - name: Ensure the media bucket (private; media served through the CDN)
      fediops.mastodon.do_spaces_bucket:
        name: mastodon-media
        region: nyc3
        cors:
          - allowed_origins: ["https://mastodon.example"]
            allowed_methods: [GET, HEAD]
            allowed_headers: ["*"]
            max_age_seconds: 3000
        lifecycle:
          - abort_incomplete_multipart_upload_days: 7
          - id: expire-cache
            prefix: cache/
            expiration_days: 30
      register: media_bucket  # media_bucket.bucket.origin feeds fediops.mastodon.do_cdn_endpoint

    - name: Backups keep every version
      fediops.mastodon.do_spaces_bucket:
        name: mastodon-backups
        region: sfo3
        versioning: enabled
        lifecycle:
          - abort_incomplete_multipart_upload_days: 3

    - name: Delete a scratch bucket and everything in it
      fediops.mastodon.do_spaces_bucket:
        name: mastodon-scratch
        region: nyc3
        state: absent
        force: true
'''

RETURN = r'''
bucket:
  description:
    - The bucket as it is after the task (in check mode, as it would be). With O(state=absent), the bucket
      that was deleted, or V({}) when there was none.
  returned: always
  type: dict
  contains:
    name:
      description: Name of the bucket.
      type: str
      sample: mastodon-media
    region:
      description: Spaces region of the bucket.
      type: str
      sample: nyc3
    endpoint:
      description: S3 endpoint URL of the region (C(S3_ENDPOINT) for Mastodon).
      type: str
      sample: https://nyc3.digitaloceanspaces.com
    origin:
      description:
        - The bucket's own host name, C(<bucket>.<region>.digitaloceanspaces.com); the origin of a
          Spaces CDN endpoint (M(fediops.mastodon.do_cdn_endpoint)).
      type: str
      sample: mastodon-media.nyc3.digitaloceanspaces.com
    cdn_hostname:
      description:
        - Host name DigitalOcean gives the bucket's CDN endpoint once one exists (without a custom domain).
      type: str
      sample: mastodon-media.nyc3.cdn.digitaloceanspaces.com
    acl:
      description: Canned ACL of the bucket, V(private), V(public-read) or V(custom) (other grants).
      type: str
      sample: private
    cors:
      description: CORS rules in normalised form (sorted, methods upper case, header names lower case).
      type: list
      elements: dict
      sample:
        - allowed_origins: ["https://mastodon.example"]
          allowed_methods: [GET, HEAD]
          allowed_headers: ["*"]
          expose_headers: []
          max_age_seconds: 3000
    lifecycle:
      description:
        - Lifecycle rules in normalised form. A rule using features the module does not manage carries
          them under C(unmanaged).
      type: list
      elements: dict
      sample:
        - id: abort-uploads-7d
          prefix: ""
          enabled: true
          abort_incomplete_multipart_upload_days: 7
          expiration_days: null
    versioning:
      description: V(enabled), V(suspended) or V(disabled) (never enabled).
      type: str
      sample: disabled
deleted_objects:
  description: Object versions and delete markers deleted (and multipart uploads aborted) by O(force=true).
  returned: when O(state=absent) and a bucket was deleted outside check mode
  type: int
  sample: 0
'''

from ansible_collections.fediops.mastodon.plugins.module_utils.aws import BotoCoreError, ClientError, error_code
from ansible_collections.fediops.mastodon.plugins.module_utils.diff import build_diff, is_different
from ansible_collections.fediops.mastodon.plugins.module_utils.spaces import (
    SpacesModule,
    acl_state,
    bucket_name_error,
    cdn_hostname,
    cors_rule_errors,
    cors_to_api,
    lifecycle_rule_errors,
    lifecycle_to_api,
    normalize_cors,
    normalize_lifecycle,
    origin_hostname,
    versioning_change,
    versioning_state,
)

DIFF_KEYS = ('name', 'region', 'acl', 'cors', 'lifecycle', 'versioning')
MISSING_BUCKET = ('404', 'NoSuchBucket', 'NotFound')
DELETE_BATCH = 1000


def validate_params(params):
    """Messages for every invalid input; checked before any call."""
    errors = [bucket_name_error(params['name'])]
    if params['state'] == 'present':
        errors += cors_rule_errors(params.get('cors'))
        errors += lifecycle_rule_errors(params.get('lifecycle'))
    return [e for e in errors if e]


def desired_config(params):
    """The managed settings the task asks for; None = leave as it is."""
    return {
        'acl': params['acl'],
        'cors': normalize_cors(params['cors']) if params['cors'] is not None else None,
        'lifecycle': normalize_lifecycle(params['lifecycle']) if params['lifecycle'] is not None else None,
        'versioning': params['versioning'],
    }


def plan_changes(desired, current):
    """What to write: ``{setting: value}`` for acl, cors, lifecycle (lists; [] = remove) and versioning
    (the API status). ``current`` is None for a bucket that does not exist yet."""
    current = current or {'acl': 'private', 'cors': [], 'lifecycle': [], 'versioning': 'disabled', 'new': True}
    changes = {}
    if not current.get('new') and desired['acl'] != current['acl']:
        changes['acl'] = desired['acl']
    for key in ('cors', 'lifecycle'):
        if desired[key] is not None and is_different(desired[key], current[key], unordered=True):
            changes[key] = desired[key]
    status = versioning_change(desired['versioning'], current['versioning'])
    if status:
        changes['versioning'] = status
    return changes


def after_state(current, changes, desired):
    after = dict(current)
    for key in ('acl', 'cors', 'lifecycle'):
        if key in changes:
            after[key] = changes[key]
    if desired['versioning'] and 'versioning' in changes:
        after['versioning'] = desired['versioning']
    return after


class Bucket:
    """Reads and writes of one bucket through the module's S3 client (each failure fails the module)."""

    def __init__(self, module):
        self.module = module
        self.s3 = module.s3
        self.name = module.params['name']
        self.region = module.params['region']

    def describe(self, **settings):
        base = {
            'name': self.name, 'region': self.region, 'endpoint': self.module.endpoint_url,
            'origin': origin_hostname(self.name, self.region), 'cdn_hostname': cdn_hostname(self.name, self.region),
        }
        base.update(settings)
        return base

    def exists(self):
        """True, False, or fails when the bucket belongs to someone else or lives in another region."""
        try:
            self.s3.head_bucket(Bucket=self.name)
        except (ClientError, BotoCoreError) as exc:
            code = error_code(exc)
            if code in MISSING_BUCKET:
                return False
            if code in ('403', 'AccessDenied'):
                self.module.fail_aws(exc, 'look up bucket %s' % self.name,
                                     msg='Bucket %r exists but these Spaces keys may not use it (another account owns it, or the key '
                                         'lacks access)' % self.name)
            if code in ('301', 'PermanentRedirect'):
                self.module.fail_aws(exc, 'look up bucket %s' % self.name,
                                     msg='Bucket %r is not in region %s; a bucket cannot change region' % (self.name, self.region))
            self.module.fail_aws(exc, 'look up bucket %s' % self.name)
        location = self.module.call('get the region of bucket %s' % self.name, self.s3.get_bucket_location, Bucket=self.name)
        actual = location.get('LocationConstraint') or None
        if actual and actual != self.region:
            self.module.fail_json(msg='Bucket %r is in region %s, not %s; a bucket cannot change region and nothing was changed. '
                                      'Use region: %s, or another name.' % (self.name, actual, self.region, actual),
                                  bucket=self.describe(region=actual))
        return True

    def read(self):
        """The managed settings of an existing bucket, normalised."""
        get = self.module.get_or_none
        acl = self.module.call('get the ACL of bucket %s' % self.name, self.s3.get_bucket_acl, Bucket=self.name)
        cors = get('get the CORS rules of bucket %s' % self.name, self.s3.get_bucket_cors, ('NoSuchCORSConfiguration',), Bucket=self.name)
        lifecycle = get('get the lifecycle rules of bucket %s' % self.name, self.s3.get_bucket_lifecycle_configuration,
                        ('NoSuchLifecycleConfiguration',), Bucket=self.name)
        versioning = self.module.call('get the versioning of bucket %s' % self.name, self.s3.get_bucket_versioning, Bucket=self.name)
        return self.describe(
            acl=acl_state(acl),
            cors=normalize_cors((cors or {}).get('CORSRules')),
            lifecycle=normalize_lifecycle((lifecycle or {}).get('Rules')),
            versioning=versioning_state(versioning.get('Status')),
        )

    def create(self):
        try:
            self.s3.create_bucket(Bucket=self.name, ACL=self.module.params['acl'],
                                  CreateBucketConfiguration={'LocationConstraint': self.region})
        except (ClientError, BotoCoreError) as exc:
            # A create retried after a lost response meets its own success: the bucket is ours.
            if error_code(exc) != 'BucketAlreadyOwnedByYou':
                msg = None
                if error_code(exc) == 'BucketAlreadyExists':
                    msg = ('The bucket name %r is taken (by another account, by a bucket in another region, or still reserved after '
                           'a deletion)' % self.name)
                self.module.fail_aws(exc, 'create bucket %s' % self.name, msg=msg)

    def apply(self, changes):
        call, name = self.module.call, self.name
        if 'acl' in changes:
            call('set the ACL of bucket %s' % name, self.s3.put_bucket_acl, Bucket=name, ACL=changes['acl'])
        if 'cors' in changes:
            if changes['cors']:
                call('set the CORS rules of bucket %s' % name, self.s3.put_bucket_cors, Bucket=name, CORSConfiguration=cors_to_api(changes['cors']))
            else:
                call('remove the CORS rules of bucket %s' % name, self.s3.delete_bucket_cors, Bucket=name)
        if 'lifecycle' in changes:
            if changes['lifecycle']:
                call('set the lifecycle rules of bucket %s' % name, self.s3.put_bucket_lifecycle_configuration, Bucket=name,
                     LifecycleConfiguration=lifecycle_to_api(changes['lifecycle']))
            else:
                call('remove the lifecycle rules of bucket %s' % name, self.s3.delete_bucket_lifecycle, Bucket=name)
        if 'versioning' in changes:
            call('set the versioning of bucket %s' % name, self.s3.put_bucket_versioning, Bucket=name,
                 VersioningConfiguration={'Status': changes['versioning']})

    def first_content(self, versioned):
        """A short description of something the bucket holds, or None when it is empty."""
        call, name = self.module.call, self.name
        listing = call('list the objects of bucket %s' % name, self.s3.list_objects_v2, Bucket=name, MaxKeys=1)
        if listing.get('Contents'):
            return 'object %r' % listing['Contents'][0]['Key']
        if versioned:
            versions = call('list the object versions of bucket %s' % name, self.s3.list_object_versions, Bucket=name, MaxKeys=1)
            for kind, label in (('Versions', 'a version of object %r'), ('DeleteMarkers', 'a delete marker of object %r')):
                if versions.get(kind):
                    return label % versions[kind][0]['Key']
        uploads = call('list the multipart uploads of bucket %s' % name, self.s3.list_multipart_uploads, Bucket=name, MaxUploads=1)
        if uploads.get('Uploads'):
            return 'an incomplete multipart upload of %r' % uploads['Uploads'][0]['Key']
        return None

    def empty(self, versioned):
        """Delete every object version and delete marker, abort every multipart upload; return how many."""
        call, name, count = self.module.call, self.name, 0
        if versioned:
            pages = self.s3.get_paginator('list_object_versions').paginate(Bucket=name)
            kinds = ('Versions', 'DeleteMarkers')
        else:
            pages = self.s3.get_paginator('list_objects_v2').paginate(Bucket=name)
            kinds = ('Contents',)
        try:
            for page in pages:
                keys = [dict((k, v) for k, v in (('Key', item['Key']), ('VersionId', item.get('VersionId'))) if v)
                        for kind in kinds for item in page.get(kind) or []]
                for start in range(0, len(keys), DELETE_BATCH):
                    batch = keys[start:start + DELETE_BATCH]
                    result = call('delete objects of bucket %s' % name, self.s3.delete_objects, Bucket=name,
                                  Delete={'Objects': batch, 'Quiet': True})
                    if result.get('Errors'):
                        first = result['Errors'][0]
                        self.module.fail_json(msg='Deleting the objects of bucket %r failed for %d of them, e.g. %r: %s %s' % (
                            name, len(result['Errors']), first.get('Key'), first.get('Code'), first.get('Message')), deleted_objects=count)
                    count += len(batch)
            for page in self.s3.get_paginator('list_multipart_uploads').paginate(Bucket=name):
                for upload in page.get('Uploads') or []:
                    call('abort a multipart upload in bucket %s' % name, self.s3.abort_multipart_upload, Bucket=name,
                         Key=upload['Key'], UploadId=upload['UploadId'])
                    count += 1
        except (ClientError, BotoCoreError) as exc:
            self.module.fail_aws(exc, 'empty bucket %s' % name)
        return count

    def delete(self):
        try:
            self.s3.delete_bucket(Bucket=self.name)
        except (ClientError, BotoCoreError) as exc:
            if error_code(exc) not in MISSING_BUCKET:
                self.module.fail_aws(exc, 'delete bucket %s' % self.name)


def ensure_present(module, bucket, exists):
    desired = desired_config(module.params)
    current = bucket.read() if exists else None
    changes = plan_changes(desired, current)
    if current is None:
        after = after_state(bucket.describe(acl=desired['acl'], cors=[], lifecycle=[], versioning='disabled'), changes, desired)
        if not module.check_mode:
            bucket.create()
            bucket.apply(changes)
        return True, None, after
    after = after_state(current, changes, desired)
    if changes and not module.check_mode:
        bucket.apply(changes)
    return bool(changes), current, after


def ensure_absent(module, bucket, exists):
    if not exists:
        return False, None, {}, None
    current = bucket.read()
    versioned = current['versioning'] != 'disabled'
    content = bucket.first_content(versioned)
    if content and not module.params['force']:
        module.fail_json(msg='Bucket %r is not empty (it holds %s and maybe more); nothing was deleted. Set force: true to delete '
                             'every object, object version and incomplete upload with the bucket.' % (bucket.name, content),
                         bucket=current)
    if module.check_mode:
        return True, current, current, None
    deleted = bucket.empty(versioned) if content else 0
    bucket.delete()
    return True, current, current, deleted


def main():
    argument_spec = dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        acl=dict(type='str', default='private', choices=['private', 'public-read']),
        cors=dict(type='list', elements='dict', options=dict(
            allowed_origins=dict(type='list', elements='str', required=True),
            allowed_methods=dict(type='list', elements='str', required=True, choices=['GET', 'HEAD', 'PUT', 'POST', 'DELETE']),
            allowed_headers=dict(type='list', elements='str'),
            expose_headers=dict(type='list', elements='str'),
            max_age_seconds=dict(type='int'),
        )),
        lifecycle=dict(type='list', elements='dict', options=dict(
            id=dict(type='str'),
            prefix=dict(type='str', default=''),
            enabled=dict(type='bool', default=True),
            abort_incomplete_multipart_upload_days=dict(type='int'),
            expiration_days=dict(type='int'),
        )),
        versioning=dict(type='str', choices=['enabled', 'suspended']),
        force=dict(type='bool', default=False),
    )
    module = SpacesModule(argument_spec=argument_spec, supports_check_mode=True)
    errors = validate_params(module.params)
    if errors:
        module.fail_json(msg=' '.join(errors))

    bucket = Bucket(module)
    exists = bucket.exists()
    result = {}
    if module.params['state'] == 'absent':
        changed, before, resource, deleted = ensure_absent(module, bucket, exists)
        after = None
        if deleted is not None:
            result['deleted_objects'] = deleted
    else:
        changed, before, resource = ensure_present(module, bucket, exists)
        after = resource
    module.exit_json(changed=changed, bucket=resource, diff=build_diff(before, after, DIFF_KEYS), **result)


if __name__ == '__main__':
    main()
