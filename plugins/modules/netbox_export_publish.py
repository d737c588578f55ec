#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: netbox_export_publish
short_description: Publish the files of a NetBox export to Confluence page attachments or a WebDAV share, only when they changed
version_added: 0.1.0
description:
  - Reads the manifest C(.sot-netbox-export.json) that M(sot.netbox.netbox_export) wrote into O(src),
    checks each file against the manifest's sha256, and uploads to each of O(targets) only the files
    whose checksum differs from the one last published there. An unchanged export makes no request.
  - What was published where (checksum, URL, ETag or attachment id and version) is recorded in
    C(.sot-netbox-publish.json) next to the export (see O(record_path)); the export's own manifest is
    not touched.
  - "B(WebDAV) (Nextcloud, SharePoint, any DAV server) - C(PUT) into the folder O(targets[].url), with
    C(If-Match) (the ETag of our last upload) or C(If-None-Match: *) (first upload), so a file that a
    person changed or put there meanwhile is reported as a conflict and not overwritten."
  - B(Confluence) (Cloud and Data Center REST API) - a new attachment, or a new version of it, on a page
    given by O(targets[].page_id) or by O(targets[].space) and O(targets[].title), with a version comment.
    An attachment that somebody updated since our last upload is reported as a conflict. The Confluence
    client is tested against recorded exchanges of the documented API, not against a live Confluence.
  - Each target has its own client, with the collection's retry policy (HTTP 429/502/503/504 and
    connection resets, jittered) and TLS verification on by default. Passwords and tokens are never
    logged, returned or shown in errors.
  - The NetBox connection options are accepted (so C(module_defaults) for C(group/sot.netbox.netbox)
    apply) and not used; this module does not talk to NetBox.
author:
  - sot.netbox contributors (@sot-netbox)
options:
  src:
    description: The export's directory (O(sot.netbox.netbox_export#module:dest)), an absolute path.
    type: path
    required: true
  files:
    description:
      - Which of the export's files to publish, by output (V(workbook), V(merged), V(devices),
        V(virtual_machines)) or by file name. Empty publishes every file of the manifest.
    type: list
    elements: str
    default: []
  targets:
    description: Where to publish. Each target is published independently; its outcome is in RV(targets).
    type: list
    elements: dict
    required: true
    suboptions:
      type:
        description: V(webdav) or V(confluence).
        type: str
        required: true
        choices: [webdav, confluence]
      name:
        description: A label for results and messages; defaults to the type and location.
        type: str
      url:
        description:
          - V(webdav) - the folder's URL, for example
            V(https://cloud.example.com/remote.php/dav/files/svc-netbox/Inventory).
          - V(confluence) - the base URL, V(https://example.atlassian.net/wiki) (Cloud) or
            V(https://confluence.example.com) with its context path if any (Data Center).
          - Must not contain a user name or password.
        type: str
        required: true
      username:
        description:
          - With O(targets[].password) or O(targets[].token), Basic authentication (Confluence Cloud - the
            account's e-mail with an API token; Nextcloud - an app password).
          - If not set, the environment variable E(SOT_PUBLISH_USERNAME) is used.
        type: str
      password:
        description:
          - Password for Basic authentication.
          - If not set, the environment variable E(SOT_PUBLISH_PASSWORD) is used.
        type: str
      token:
        description:
          - Without O(targets[].username), sent as C(Authorization Bearer) (Confluence Data Center personal
            access token, an OAuth token); with it, used as the Basic password.
          - If not set, the environment variable E(SOT_PUBLISH_TOKEN) is used.
        type: str
      validate_certs:
        description: Verify the server's TLS certificate. Only disable this for a test server you control.
        type: bool
        default: true
      ca_path:
        description: A CA bundle to verify the server's certificate with.
        type: path
      timeout:
        description: Seconds to wait for each answer.
        type: float
        default: 30
      create_folders:
        description: V(webdav) only. Create the folder (and missing parents) with C(MKCOL) before the first upload.
        type: bool
        default: false
      page_id:
        description: V(confluence) only. The page's id (the number in its URL).
        type: str
      space:
        description: V(confluence) only. The space key of the page, with O(targets[].title).
        type: str
      title:
        description: V(confluence) only. The page's title, with O(targets[].space).
        type: str
      comment:
        description:
          - V(confluence) only. The attachment's version comment; C({file}), C({sha256}) and C({sha12}) are
            replaced by the file name and its checksum.
          - Defaults to C(Published by sot.netbox from the NetBox export (sha256 {sha12})).
        type: str
      minor_edit:
        description: V(confluence) only. Upload as a minor edit (no notifications to page watchers).
        type: bool
        default: true
  overwrite:
    description:
      - Replace a remote file even when it changed on the server since the last upload, or exists without
        having been published by this module. Off by default, so a person's change is reported, not lost.
    type: bool
    default: false
  record_path:
    description: The publish record; defaults to C(.sot-netbox-publish.json) in O(src).
    type: path
extends_documentation_fragment:
  - sot.netbox.connection
  - sot.netbox.attributes
attributes:
  check_mode:
    support: full
    details: Plans from the checksums and the record only, without any request.
  diff_mode:
    support: full
    details: One line per file that would be uploaded, with its target and reason.
  platform:
    platforms: posix
    support: full
    description: Reads the export's files on the host that runs the module.
requirements:
  - requests
notes:
  - Files are read into memory for the upload (exports are a few MB; a workbook of 10,000 devices is about 1 MB).
  - Confluence has no conditional upload; the version check happens right before the upload, so a change
    made in that second is not detected.
seealso:
  - module: sot.netbox.netbox_export
"""

EXAMPLES = r"""
- name: Export, then publish the workbook to a Nextcloud folder
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Export
      sot.netbox.netbox_export:
        dest: /srv/exports/netbox

    - name: Publish to Nextcloud (username and app password from SOT_PUBLISH_USERNAME/SOT_PUBLISH_PASSWORD)
      sot.netbox.netbox_export_publish:
        src: /srv/exports/netbox
        files: [workbook]
        targets:
          - type: webdav
            url: https://cloud.example.com/remote.php/dav/files/svc-netbox/Inventory
            create_folders: true

- name: Attach every file to a Confluence Cloud page
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Publish
      sot.netbox.netbox_export_publish:
        src: /srv/exports/netbox
        targets:
          - type: confluence
            url: https://example.atlassian.net/wiki
            space: NET
            title: Inventory
            username: svc-netbox@example.com
            token: "{{ confluence_api_token }}"
            comment: "NetBox export {sha12}"

- name: Confluence Data Center page by id, with a personal access token
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Publish
      sot.netbox.netbox_export_publish:
        src: /srv/exports/netbox
        targets:
          - type: confluence
            url: https://confluence.example.com
            page_id: "123456"
            token: "{{ confluence_pat }}"
"""

RETURN = r"""
targets:
  description: One entry per target, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The target's label.
      type: str
    type:
      description: V(webdav) or V(confluence).
      type: str
    location:
      description: The target's URL.
      type: str
    outcome:
      description:
        - V(uploaded) (something was uploaded), V(unchanged) (nothing to upload), V(would_upload) (check mode),
          V(conflict) (a file changed on the server meanwhile and was left alone), V(failed) (see C(error)).
      type: str
    uploaded:
      description: File names uploaded.
      type: list
      elements: str
    unchanged:
      description: File names already published with this content.
      type: list
      elements: str
    would_upload:
      description: In check mode, the file names that would be uploaded.
      type: list
      elements: str
    conflict:
      description: File names not uploaded because they changed on the server.
      type: list
      elements: str
    files:
      description:
        - Per file - C(file), C(action) (upload or skip), C(reason) (new, changed, unchanged), C(sha256), C(bytes),
          C(outcome) (uploaded, unchanged, would_upload, conflict, failed, not_attempted), and after an upload
          C(url) (the file's URL; for Confluence the attachment's download link) with C(etag) (WebDAV) or
          C(attachment_id) and C(version) (Confluence); C(message) for a conflict or a failure.
      type: list
      elements: dict
    error:
      description: Why the target failed.
      type: str
      returned: when outcome is failed
  sample:
    - name: webdav https://cloud.example.com/remote.php/dav/files/svc-netbox/Inventory/
      type: webdav
      location: https://cloud.example.com/remote.php/dav/files/svc-netbox/Inventory
      outcome: uploaded
      uploaded: [inventory.xlsx]
      unchanged: [inventory.csv]
      conflict: []
      would_upload: []
      files:
        - {file: inventory.xlsx, action: upload, reason: changed, outcome: uploaded, bytes: 48213, etag: '"5f1c"'}
totals:
  description: Targets, files uploaded (or that would be), unchanged, conflicts, failed targets and bytes uploaded.
  returned: always
  type: dict
  sample: {targets: 1, files_uploaded: 1, files_would_upload: 0, files_unchanged: 3, conflicts: 0,
           targets_failed: 0, bytes_uploaded: 48213}
src:
  description: The export's directory.
  returned: always
  type: str
record:
  description: The publish record's path.
  returned: always
  type: str
record_changed:
  description: Present and true when the publish record was rewritten.
  returned: when the record changed
  type: bool
metrics:
  description: HTTP requests (by method), retries, bytes and seconds of the run, over all targets.
  returned: always
  type: dict
  sample: {requests: 2, retries: 0, bytes_sent: 48213, seconds: 0.2}
diff:
  description: With C(--diff), one line per file that is (or would be) uploaded.
  returned: when diff mode is on
  type: dict
  sample: {prepared: "webdav https://cloud.example.com/Inventory/: upload inventory.xlsx (changed, 48213 bytes)\n"}
"""

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.sot.netbox.plugins.module_utils._module import argument_spec, run_module
from ansible_collections.sot.netbox.plugins.module_utils._publish.domain import TYPES
from ansible_collections.sot.netbox.plugins.module_utils._publish.runner import context_for, run

TARGET = dict(
    type=dict(type="str", required=True, choices=list(TYPES)),
    name=dict(type="str"),
    url=dict(type="str", required=True),
    username=dict(type="str", fallback=(env_fallback, ["SOT_PUBLISH_USERNAME"])),
    password=dict(type="str", no_log=True, fallback=(env_fallback, ["SOT_PUBLISH_PASSWORD"])),
    token=dict(type="str", no_log=True, fallback=(env_fallback, ["SOT_PUBLISH_TOKEN"])),
    validate_certs=dict(type="bool", default=True),
    ca_path=dict(type="path"),
    timeout=dict(type="float", default=30),
    create_folders=dict(type="bool", default=False),
    page_id=dict(type="str"),
    space=dict(type="str"),
    title=dict(type="str"),
    comment=dict(type="str"),
    minor_edit=dict(type="bool", default=True),
)
OPTIONS = dict(
    src=dict(type="path", required=True),
    files=dict(type="list", elements="str", default=[]),
    targets=dict(type="list", elements="dict", required=True, options=TARGET),
    overwrite=dict(type="bool", default=False),
    record_path=dict(type="path"),
)


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(**OPTIONS), supports_check_mode=True)
    run_module(module, run, client_factory=context_for)


if __name__ == "__main__":
    main()
