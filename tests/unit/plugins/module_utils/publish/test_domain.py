# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure publish plan: targets' validation and keys, manifest selection, plan, record."""
from __future__ import annotations

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._publish import domain as D
from ansible_collections.sot.netbox.plugins.module_utils._publish.transport import Uploaded

DAV = {"type": "webdav", "url": "https://dav.test/Inventory/"}
PAGE = {"type": "confluence", "url": "https://example.atlassian.net/wiki", "page_id": "42", "token": "t0ken"}
MANIFEST = {"format": 1, "files": {"devices": {"file": "devices.csv", "sha256": "d1", "rows": 2},
                                   "merged": {"file": "inventory.csv", "sha256": "m1", "rows": 3}},
            "workbook": {"file": "inventory.xlsx", "sha256": "w1", "source_sha256": "s"}}


def f(name, sha="a" * 64):
    return D.LocalFile(name.split(".")[0], name, "/x/" + name, sha, 10)


@pytest.mark.parametrize("targets, messages", [
    ([DAV], []),
    ([PAGE], []),
    ([], ["targets: give at least one target"]),
    ([{"type": "confluence", "url": "u", "token": "t"}], ["needs page_id, or space and title"]),
    ([{"type": "confluence", "url": "u", "token": "t", "page_id": "1", "space": "N", "title": "T"}], ["not both"]),
    ([{"type": "confluence", "url": "u", "token": "t", "space": "N"}], ["space and title go together"]),
    ([dict(PAGE, token=None)], ["targets[0].token: Confluence needs an API token"]),
    ([dict(PAGE, create_folders=True)], ["create_folders: only for webdav"]),
    ([dict(DAV, page_id="3")], ["are for confluence targets"]),
    ([dict(DAV, password="pw")], ["targets[0].password: a password needs a username"]),
    ([DAV, dict(DAV, url="https://dav.test/Inventory")], ["targets[1]: publishes to the same place as targets[0]"]),
])
def test_validate_targets(targets, messages):
    errors = [str(e) for e in D.validate_targets(targets)]
    assert len(errors) == len(messages), errors
    for text, expected in zip(errors, messages):
        assert expected in text


@pytest.mark.parametrize("raw, key", [
    (DAV, "webdav https://dav.test/Inventory/"),
    (PAGE, "confluence https://example.atlassian.net/wiki page 42"),
    ({"type": "confluence", "url": "https://c.test/", "space": "NET", "title": "Inv"},
     "confluence https://c.test space NET title Inv"),
])
def test_target_key_has_no_credentials(raw, key):
    target = D.make_target(dict(raw, username="u", password="secret-pw"))
    assert target.key == key and "secret" not in target.key


@pytest.mark.parametrize("wanted, chosen, errors", [
    ([], ["inventory.xlsx", "inventory.csv", "devices.csv"], 0),
    (["workbook"], ["inventory.xlsx"], 0),
    (["devices.csv", "merged"], ["inventory.csv", "devices.csv"], 0),
    (["nope.csv"], [], 1),
])
def test_select_outputs(wanted, chosen, errors):
    out, problems = D.select_outputs(MANIFEST, wanted)
    assert [name for _o, name, _s in out] == chosen
    assert len(problems) == errors
    if errors:
        assert "not in the export manifest" in str(problems[0]) and "workbook" in str(problems[0])


def test_plan_new_changed_unchanged():
    target = D.make_target(DAV)
    record = {"targets": {target.key: {"files": {"a.csv": {"sha256": "1" * 64}, "b.csv": {"sha256": "2" * 64}}}}}
    files = [f("a.csv", "1" * 64), f("b.csv", "9" * 64), f("c.csv")]
    (p,) = D.plan(files, [target], record)
    assert [(s.file.name, s.upload, s.reason) for s in p.steps] == [
        ("a.csv", False, "unchanged"), ("b.csv", True, "changed"), ("c.csv", True, "new")]
    assert p.steps[1].previous == {"sha256": "2" * 64}


def test_plan_is_per_target():
    dav, page = D.make_target(DAV), D.make_target(PAGE)
    record = {"targets": {dav.key: {"files": {"a.csv": {"sha256": "1" * 64}}}}}
    plans = D.plan([f("a.csv", "1" * 64)], [dav, page], record)
    assert [len(p.uploads) for p in plans] == [0, 1]


def test_record_upload_round_trip_and_input_left_alone():
    target = D.make_target(PAGE)
    before = {}
    after = D.record_upload(before, target, f("a.csv"), Uploaded(url="u", attachment_id="att7", version=3))
    assert before == {}
    text = D.record_text(after)
    assert D.parse_record(text) == after
    assert after["targets"][target.key] == {"type": "confluence", "location": PAGE["url"], "files": {
        "a.csv": {"sha256": "a" * 64, "url": "u", "attachment_id": "att7", "version": 3}}}
    assert D.record_text(after) == text  # deterministic


@pytest.mark.parametrize("text", ["", "not json", "[]", '{"format": 99}'])
def test_parse_record_unreadable_is_empty(text):
    assert D.parse_record(text) == {}


def test_diff_lines():
    target = D.make_target(dict(DAV, name="share"))
    plans = D.plan([f("a.csv")], [target], {})
    assert D.diff_lines(plans) == ["share: upload a.csv (new, 10 bytes)"]
