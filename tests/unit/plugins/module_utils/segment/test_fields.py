# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The field table: one row drives the argspec, the docs, the body, from_netbox, the diff and the result."""
from __future__ import annotations

import dataclasses

import yaml

from ansible_collections.sot.netbox.plugins.module_utils._segment import fields, model
from ansible_collections.sot.netbox.plugins.module_utils._segment.fields import Option


def test_every_item_option_is_a_segments_suboption_and_documented():
    spec = fields.argspec()
    documented = yaml.safe_load(fields.render_options())["options"]
    assert set(spec["segments"]["options"]) == {o.name for o in fields.ITEM_OPTIONS}
    assert set(documented["segments"]["suboptions"]) == set(spec["segments"]["options"])
    assert documented["vlan"]["suboptions"]["vid"]["required"] is True
    assert "default" not in spec["segments"]["options"]["state"]          # items take the top level's value
    assert spec["state"]["default"] == "present"


def test_a_new_plain_field_is_one_row(monkeypatch):
    """The docs' worked example: a row `comments` makes it an option, a body field, a diff field and a result key."""
    row = Option("comments", "str", ("Prefix comments.",), kind="value")
    table = fields.TABLE + (row,)
    seg_fields = tuple(o for o in table if o.kind)
    monkeypatch.setattr(model, "SEGMENT_FIELDS", seg_fields)
    monkeypatch.setattr(model, "FIELDS", tuple(o.name for o in seg_fields) + ("vlan",))
    segment_cls = dataclasses.make_dataclass("Segment", [("comments", str, None)], bases=(model.Segment,))
    current = segment_cls.from_netbox({"id": 1, "prefix": "10.0.0.0/24", "comments": "old"})
    assert current.comments == "old" and current.to_dict()["comments"] == "old"
    desired = segment_cls(comments="new")
    assert model.body_for(desired, {}) == {"comments": "new"}
    assert model.diff_segment(current, desired) == {"comments": ("old", "new")}
    assert model.apply_changes(current, desired).comments == "new"
    assert Option.spec(row, top=True) == {"type": "str"}
