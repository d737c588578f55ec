# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The test bed's tokens are NetBox's own (made through its API, as a user's are): the v1 ones are
NetBox 4.7's 40 mixed-case characters, the v2 one is `nbt_<key>.<secret>` with a key NetBox lists,
the read-only one cannot write, and no other token of the admin user exists."""
from __future__ import annotations

import os
import re

import pytest
import requests

URL = os.environ["NETBOX_URL"]
TOKENS = {name: os.environ[name] for name in ("NETBOX_TOKEN", "SOT_TESTBED_TOKEN_READONLY", "SOT_TESTBED_TOKEN_V2")}


def header(token: str) -> dict:
    return {"Authorization": ("Bearer " if token.startswith("nbt_") else "Token ") + token, "Accept": "application/json"}


def listed_tokens() -> list:
    response = requests.get(f"{URL}/api/users/tokens/", params={"limit": 0}, headers=header(TOKENS["NETBOX_TOKEN"]),
                            timeout=30)
    response.raise_for_status()
    return response.json()["results"]


def test_v1_tokens_are_netbox_4_7_s_mixed_case_ones():
    for name in ("NETBOX_TOKEN", "SOT_TESTBED_TOKEN_READONLY"):
        token = TOKENS[name]
        assert re.fullmatch(r"[A-Za-z0-9]{40}", token), name
        assert not re.fullmatch(r"[0-9a-f]{40}", token), f"{name} looks like a hand-made hex token"


def test_v2_token_key_is_one_netbox_lists():
    key = re.fullmatch(r"nbt_([A-Za-z0-9]+)\.[A-Za-z0-9]+", TOKENS["SOT_TESTBED_TOKEN_V2"]).group(1)
    assert key in {t["key"] for t in listed_tokens() if t["version"] == 2}


def test_the_admin_user_has_exactly_the_test_bed_s_tokens():
    tokens = listed_tokens()
    assert sorted((t["version"], t["write_enabled"]) for t in tokens) == [(1, False), (1, True), (2, True)]


@pytest.mark.parametrize("name", sorted(TOKENS))
def test_every_token_authenticates(name):
    response = requests.get(f"{URL}/api/status/", headers=header(TOKENS[name]), timeout=30)
    assert response.status_code == 200


def test_read_only_token_cannot_write():
    response = requests.post(f"{URL}/api/dcim/manufacturers/", json={"name": "sot-ro-probe", "slug": "sot-ro-probe"},
                             headers=header(TOKENS["SOT_TESTBED_TOKEN_READONLY"]), timeout=30)
    assert response.status_code == 403
