"""Domain events of problems that other apps may hang work on, sent after the step commits.

`problem_merged` (kwargs: `problem`, the one merged, now 已合并; `into`, the survivor; `actor`;
`event`, the merged problem's merge event) is sent by problems.services.problem_merge once the
merge is committed, never for a refused or rolled-back one. The citizen-report app connects a
receiver to move a merged problem's reporters to the survivor and tell them; a receiver runs after
the commit, so what it writes is its own transaction, and an exception in it is logged and does
not undo the merge (`send_robust`)."""

from django.dispatch import Signal

problem_merged = Signal()
