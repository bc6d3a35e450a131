"""The way out (what `preview`, `send` and `retry` run): plan, claim, send, record, mark.

- planning: which entries, their rendered messages and policy decisions (pure-ish, reads only)
- pipeline: the async sender (claims and outcomes in group commits, pacing, concurrency)
- outcomes: what each provider answer means for the journal
- marks: the Fluig mark after a send
- run: one run end to end, and its report
"""

from __future__ import annotations

from fluigbot.dispatch.planning import Plan, PlanItem, Selection, make_plan, utcnow
from fluigbot.dispatch.run import Dispatcher, SendReport, raise_for_outcome

__all__ = [
    "Dispatcher",
    "Plan",
    "PlanItem",
    "Selection",
    "SendReport",
    "make_plan",
    "raise_for_outcome",
    "utcnow",
]
