# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The NetBox choice sets a plan names (device/cable status, cable and interface types). PRIVATE. Pure.

Checked before any write, so a typo is a validation error naming the field instead of a rejected
batch after devices were created. FRAGMENT is NetBox 4.7's built-in choices (dcim/choices.py); a
NetBox may add its own (FIELD_CHOICES), so a value outside the fragment is looked up in the API's
OPTIONS answer for the endpoint (reads.py) before it is called unknown.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ansible_collections.sot.netbox.plugins.module_utils._errors import FieldError

if TYPE_CHECKING:  # annotations only: these import nothing at run time
    from ansible_collections.sot.netbox.plugins.module_utils._plan.model import Plan

# kind -> (object type in _records, field) whose OPTIONS answer lists the choices
FIELDS = {
    "device_status": ("device", "status"),
    "cable_status": ("cable", "status"),
    "cable_type": ("cable", "type"),
    "interface_type": ("interface", "type"),
}

FRAGMENT = {
    "device_status": (
        "offline", "active", "planned", "staged", "failed", "inventory", "decommissioning",
    ),
    "cable_status": (
        "connected", "planned", "decommissioning",
    ),
    "cable_type": (
        "cat3", "cat5", "cat5e", "cat6", "cat6a", "cat7", "cat7a", "cat8", "mrj21-trunk", "dac-active",
        "dac-passive", "coaxial", "rg-6", "rg-8", "rg-11", "rg-59", "rg-62", "rg-213", "lmr-100", "lmr-200",
        "lmr-400", "mmf", "mmf-om1", "mmf-om2", "mmf-om3", "mmf-om4", "mmf-om5", "smf", "smf-os1",
        "smf-os2", "aoc", "power", "usb",
    ),
    "interface_type": (
        "virtual", "bridge", "lag", "channel", "100base-fx", "100base-lfx", "100base-tx", "100base-t1",
        "1000base-bx10-d", "1000base-bx10-u", "1000base-cwdm", "1000base-cx", "1000base-dwdm",
        "1000base-ex", "1000base-lsx", "1000base-lx", "1000base-lx10", "1000base-sx", "1000base-t",
        "1000base-tx", "1000base-zx", "2.5gbase-t", "5gbase-t", "10gbase-br-d", "10gbase-br-u",
        "10gbase-cu", "10gbase-cx4", "10gbase-er", "10gbase-lr", "10gbase-lrm", "10gbase-lx4", "10gbase-sr",
        "10gbase-t", "10gbase-zr", "25gbase-cr", "25gbase-er", "25gbase-lr", "25gbase-sr", "25gbase-t",
        "40gbase-cr4", "40gbase-er4", "40gbase-fr4", "40gbase-lr4", "40gbase-sr4", "40gbase-sr4-bd",
        "50gbase-cr", "50gbase-er", "50gbase-fr", "50gbase-lr", "50gbase-sr", "100gbase-cr1",
        "100gbase-cr2", "100gbase-cr4", "100gbase-cr10", "100gbase-cwdm4", "100gbase-dr", "100gbase-er4",
        "100gbase-fr1", "100gbase-lr1", "100gbase-lr4", "100gbase-sr1", "100gbase-sr1.2", "100gbase-sr2",
        "100gbase-sr4", "100gbase-sr10", "100gbase-zr", "200gbase-cr2", "200gbase-cr4", "200gbase-dr4",
        "200gbase-er4", "200gbase-fr4", "200gbase-lr4", "200gbase-sr2", "200gbase-sr4", "200gbase-vr2",
        "400gbase-cr4", "400gbase-dr4", "400gbase-er8", "400gbase-fr4", "400gbase-fr8", "400gbase-lr4",
        "400gbase-lr8", "400gbase-sr4", "400gbase-sr4_2", "400gbase-sr8", "400gbase-sr16", "400gbase-vr4",
        "400gbase-zr", "800gbase-cr8", "800gbase-dr8", "800gbase-sr8", "800gbase-vr8", "1.6tbase-cr8",
        "1.6tbase-dr8", "1.6tbase-dr8-2", "100base-x-sfp", "1000base-x-gbic", "1000base-x-sfp",
        "2.5gbase-x-sfp", "10gbase-x-sfpp", "10gbase-x-xenpak", "10gbase-x-xfp", "10gbase-x-x2",
        "25gbase-x-sfp28", "40gbase-x-qsfpp", "50gbase-x-sfp28", "50gbase-x-sfp56", "100gbase-x-cfp",
        "100gbase-x-cfp2", "100gbase-x-cfp4", "100gbase-x-cxp", "100gbase-x-cpak", "100gbase-x-dsfp",
        "100gbase-x-qsfp28", "100gbase-x-qsfpdd", "100gbase-x-sfp112", "100gbase-x-sfpdd",
        "200gbase-x-cfp2", "200gbase-x-qsfp56", "200gbase-x-qsfpdd", "400gbase-x-qsfp112",
        "400gbase-x-qsfpdd", "400gbase-x-cdfp", "400gbase-x-cfp2", "400gbase-x-cfp8", "400gbase-x-osfp",
        "400gbase-x-osfp-rhs", "800gbase-x-osfp", "800gbase-x-qsfpdd", "1.6tbase-x-osfp1600",
        "1.6tbase-x-osfp1600-rhs", "1.6tbase-x-qsfpdd1600", "1000base-kx", "2.5gbase-kx", "5gbase-kr",
        "10gbase-kr", "10gbase-kx4", "25gbase-kr", "40gbase-kr4", "50gbase-kr", "100gbase-kp4",
        "100gbase-kr2", "100gbase-kr4", "1.6tbase-kr8", "ieee802.11a", "ieee802.11g", "ieee802.11n",
        "ieee802.11ac", "ieee802.11ad", "ieee802.11ax", "ieee802.11ay", "ieee802.11be", "ieee802.15.1",
        "ieee802.15.4", "other-wireless", "gsm", "cdma", "lte", "4g", "5g", "sonet-oc3", "sonet-oc12",
        "sonet-oc48", "sonet-oc192", "sonet-oc768", "sonet-oc1920", "sonet-oc3840", "1gfc-sfp", "2gfc-sfp",
        "4gfc-sfp", "8gfc-sfpp", "16gfc-sfpp", "32gfc-sfp28", "32gfc-sfpp", "64gfc-qsfpp", "64gfc-sfpdd",
        "64gfc-sfpp", "128gfc-qsfp28", "infiniband-sdr", "infiniband-ddr", "infiniband-qdr",
        "infiniband-fdr10", "infiniband-fdr", "infiniband-edr", "infiniband-hdr", "infiniband-ndr",
        "infiniband-xdr", "infiniband-hdr-2x", "infiniband-ndr-2x", "infiniband-xdr-2x",
        "infiniband-sdr-4x", "infiniband-ddr-4x", "infiniband-qdr-4x", "infiniband-fdr10-4x",
        "infiniband-fdr-4x", "infiniband-edr-4x", "infiniband-hdr-4x", "infiniband-ndr-4x",
        "infiniband-xdr-4x", "t1", "e1", "t3", "e3", "xdsl", "docsis", "moca", "bpon", "epon", "10g-epon",
        "gpon", "xg-pon", "xgs-pon", "ng-pon2", "25g-pon", "50g-pon", "cisco-stackwise",
        "cisco-stackwise-plus", "cisco-flexstack", "cisco-flexstack-plus", "cisco-stackwise-80",
        "cisco-stackwise-160", "cisco-stackwise-320", "cisco-stackwise-480", "cisco-stackwise-1t",
        "juniper-vcp", "extreme-summitstack", "extreme-summitstack-128", "extreme-summitstack-256",
        "extreme-summitstack-512", "hpe-synergy-interconnect-link", "other",
    ),
}


def wanted(plan: Plan) -> dict:
    """kind -> [(path, value)] of every choice value the plan names."""
    out = {kind: [] for kind in FIELDS}
    out["device_status"].append(("plan.status", plan.status))
    out["cable_status"].append(("plan.cable_status" if plan.cable_status else "plan.status",
                                plan.cable_status_effective))
    for kind in ("switch_classes", "server_classes"):
        for i, cls in enumerate(getattr(plan, kind)):
            where = f"plan.{kind}[{i}]"
            out["interface_type"] += [(f"{where}.interfaces[{j}].type", x.type) for j, x in enumerate(cls.interfaces)]
            if getattr(cls, "cable_type", ""):
                out["cable_type"].append((f"{where}.cable_type", cls.cable_type))
            for j, conn in enumerate(getattr(cls, "connections", ())):
                if conn.cable_type:
                    out["cable_type"].append((f"{where}.connections[{j}].cable_type", conn.cable_type))
    return out


def outside(plan: Plan, known: Any = None) -> list:
    """The kinds with a value outside `known` (default: the fragment): those need NetBox's answer."""
    known = FRAGMENT if known is None else known
    return sorted(kind for kind, items in wanted(plan).items() if any(v not in known[kind] for _p, v in items))


def check_choices(plan: Plan, known: Any = None) -> list:
    """A FieldError for every value NetBox does not offer (`known`: kind -> values)."""
    known = FRAGMENT if known is None else known
    errors = []
    for kind, items in wanted(plan).items():
        for path, value in items:
            if value and value not in known[kind]:
                errors.append(FieldError(path, f"not a NetBox {kind.replace('_', ' ')}{_hint(kind, known[kind])}",
                                         value))
    return errors


def _hint(kind: str, values: Any) -> str:
    values = list(values)
    shown = ", ".join(values[:12]) + (f" ... ({len(values)} choices)" if len(values) > 12 else "")
    extra = "; for cables set plan.cable_status" if kind == "cable_status" else ""
    return f"; choices: {shown}{extra}"
