# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""classify_rejection: NetBox's 400/409 answers, as NetBox 4.7 words them, classified in one place."""
from __future__ import annotations

import json

import pytest

from ansible_collections.sot.netbox.plugins.module_utils import _errors
from ansible_collections.sot.netbox.plugins.module_utils._errors import classify_rejection, error_for_status


@pytest.mark.parametrize("status, body, kind, fields", [
    (400, {"__all__": ["VLAN with this Group and Name already exists."]}, _errors.EXISTS, {"__all__"}),
    (400, [{}, {"__all__": ["VLAN with this Group and VLAN ID already exists."]}], _errors.EXISTS, {"__all__"}),
    (400, {"__all__": ["VLAN group with this Scope type, Scope id and Slug already exists."]}, _errors.EXISTS,
     {"__all__"}),
    (400, {"name": ["tag with this name already exists."], "slug": ["tag with this slug already exists."]},
     _errors.EXISTS, {"name", "slug"}),
    (400, {"group_id": ["Select a valid choice. 12 is not one of the available choices."]},
     _errors.STALE_REFERENCE, {"group_id"}),
    (400, {"vrf_id": ["Select a valid choice. 3 is not one of the available choices."]}, _errors.STALE_REFERENCE,
     {"vrf_id"}),
    (400, {"vlan": ["Related object not found using the provided numeric ID: 9"]}, _errors.STALE_REFERENCE, {"vlan"}),
    (400, {"vrf": ['Invalid pk "4" - object does not exist.']}, _errors.STALE_REFERENCE, {"vrf"}),
    (409, {"detail": "Insufficient space is available to accommodate the requested prefix size(s)"},
     _errors.NO_SPACE, {"__all__"}),
    (400, {"description": ["Ensure this field has no more than 200 characters."]}, _errors.INVALID, {"description"}),
    (400, {"status": ['"bogus" is not a valid choice.']}, _errors.INVALID, {"status"}),
    (500, {"detail": "VLAN with this Group and Name already exists."}, _errors.INVALID, set()),
])
def test_netbox_answers_are_classified(status, body, kind, fields):
    exc = error_for_status(status, "POST", "http://nb.test/api/ipam/vlans/", json.dumps(body))
    got = classify_rejection(exc)
    assert (got.kind, set(got.fields)) == (kind, fields)


def test_an_answer_that_is_not_json_is_invalid():
    exc = error_for_status(400, "POST", "http://nb.test/api/ipam/vlans/", "<html>Bad Request</html>")
    assert classify_rejection(exc).kind == _errors.INVALID
