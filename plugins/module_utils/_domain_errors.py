# -*- coding: utf-8 -*-
# Copyright: sot.netbox contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The named domain conditions of the one exception hierarchy (segment allocation, plans, NetBox
Branching). PRIVATE to the collection.

Kept apart from _errors.py only so no file grows past 400 lines: the same hierarchy (every class here
derives from _errors.SotNetboxError). Import them from here; _errors never imports this file (no cycle).
"""
from __future__ import annotations

from ansible_collections.sot.netbox.plugins.module_utils._errors import (
    FeatureUnsupported, InputError, SotNetboxError)


# ---------------------------------------------------------------- segment allocation conditions
# (added by the segment work; one block at the end of the file for clean merges). Each names what
# was tried, so a failure says which filters, pools or candidates were looked at.

class DomainError(SotNetboxError):
    """A condition of the data, not of the transport or the input: nothing matched, nothing is left.
    Callers tell the conditions apart by class; each keeps what was tried."""


class AllocationFailed(DomainError):
    """An allocation could not be made; `label` names the item, `tried` what was looked at."""

    def __init__(self, label: str, problem: str, tried: tuple = (), result: dict | None = None) -> None:
        self.label = label
        self.tried = tuple(tried)
        super().__init__(f"{label}: {problem}", result)


class NoFreeSegment(AllocationFailed):
    """No free segment matches the reservation's filters (`tried`: the filters, as text)."""


class SegmentsClaimedMeanwhile(AllocationFailed):
    """Every matching free segment was claimed by concurrent allocations while this one ran."""


class NoPool(AllocationFailed):
    """No pool prefix to carve from in the VRF and site group."""


class PoolExhausted(AllocationFailed):
    """No free block of the asked length is left in the pools (`tried`: the pools)."""


class ClaimConflict(AllocationFailed):
    """A claim marker contradicts NetBox's state (dangling, or naming a segment held by another key)."""


class VlanNameTaken(AllocationFailed):
    """The carved VLAN's name is used in its group by a VLAN another segment uses."""


# ---------------------------------------------------------------- netbox_plan_generate's domain conditions
# (added by the plan work; one block at the end of the file for clean merges). Each wraps what went wrong
# (`raise ... from exc`) instead of editing the error on its way up, and carries the run's result.

class PlanError(DomainError):
    """A plan could not be brought to its wanted state; `plan` is its name."""

    def __init__(self, plan: str, message: str, result: dict | None = None) -> None:
        self.plan = plan
        super().__init__(message, result)


class PlanNotApproved(PlanError):
    """require_approval (or require_approved) and the status record does not approve this content."""


class PlanWriteFailed(PlanError):
    """A write of the plan's objects failed; what was created was rolled back (see result.rollback)."""


class PlanWriteTimedOut(PlanWriteFailed):
    """A write of the plan timed out: NetBox may still commit it, so the plan's tag is kept for adoption."""


class PlanStatusNotWritten(PlanError):
    """The plan's objects are written but its status record (or tag) is not: a re-run writes it."""


class PlanRemovalFailed(PlanError):
    """state=absent stopped part-way; result.deleted says what is gone."""


# ---------------------------------------------------------------- NetBox Branching
# (added by the branching work; kept as one block at the end of the file for clean merges)

class PluginMissing(FeatureUnsupported):
    """A feature of a NetBox plugin that the connected NetBox does not have installed."""

    def __init__(self, feature: str, option: str, result: dict | None = None) -> None:
        super().__init__(feature, "", "", result)
        self.message = (f"{feature} is not installed on this NetBox (its API answered 404): install and enable "
                        f"the plugin, or leave out {option}")
        self.args = (self.message,)


class BranchNotFound(InputError):
    """A branch named by the user does not exist (and was not to be created)."""


class BranchNotReady(SotNetboxError):
    """A branch did not become usable within the time allowed, or its last operation failed."""

    def __init__(self, message: str, status: str = "", result: dict | None = None) -> None:
        self.status = status
        super().__init__(message, result)


class BranchMergeConflicts(SotNetboxError):
    """NetBox refused a merge or sync: objects changed in main and in the branch. result['conflicts']
    lists them object by object."""


class BranchJobFailed(SotNetboxError):
    """A branch's background job (sync, merge, revert) ended in failure."""


# ---------------------------------------------------------------- plans in a NetBox branch (plan work)

class PlanNotStageable(PlanError):
    """A plan cannot be generated into (or merged from) this branch yet; the message says what to do first."""


# ---------------------------------------------------------------- export conditions

class WorkbookTooLarge(DomainError):
    """A workbook sheet would hold more rows than an Excel sheet can (1,048,575 under its header)."""
