"""What every analytics figure means, written once (the README's table says
the same). Units in brackets.

- **enrolled**: enrollments of the program (version) whose enrollment day is in [from, to] [members; UTC days,
  inclusive]
- **completed, completion_rate**: of those, enrollments that reached an end node / enrolled [members; 0..1]
- **check-in sent**: a check-in step the member was asked whose outcome is known: answered, its window closed, or
  the enrollment ended; the one a running enrollment still waits on is not counted [check-ins]
- **check-in answered**: an answer the runtime accepted at that step: within its window (`window_minutes`; no
  window: any time before the member moved on) [check-ins]
- **adherence**: pooled: answered / sent over the members in view; per member: their answered / sent, shown as a
  distribution in tenths [0..1]
- **streak (current, longest)**: runs of the member's local calendar days (their time zone, so DST-correct) with an
  answered check-in, one missed day forgiven (`backend/lib/streaks.py`, the engagement issue's grace rule); current
  as of the enrollment's last refresh [days]
- **goals**: per goal node: members who reached it / enrolled, and the median time from enrollment to first reaching
  it [0..1; seconds]
- **metric**: a check-in of kind scale or number with `"metric": true` in its data (`"lower_is_better": true` flips
  "improved") [the answer's unit]
- **metric first / latest**: each member's first and latest accepted answer to it; members with one answer have no
  change and are left out of n
- **metric change**: paired: mean of (latest - first) over n members with two or more answers, Student's t 95%
  interval; improved_share: members whose latest is better / n [the answer's unit; 0..1]
- **funnel reached**: members who reached the node at least once [members]
- **funnel dropped**: members whose enrollment stopped there without completing: unenrolled there, or paused
  there (a member merely waiting is not counted: with windows and timeouts a silent member moves on) [members]
- **median_time_to_next**: per node, median over members of the time from first reaching it to the next step (0 for
  steps passed in the same moment); from a histogram of quarter-octaves, so within about 9% [seconds]
- **retention**: weekly cohorts by the UTC calendar week (Monday) of enrollment: the share of the cohort active in
  week k after (week 0 = the enrollment week); active = an event, their own message, or an answered check-in [0..1]
- **A/B**: two published versions assigned at random at enrollment (a hash of the experiment and the member: sticky,
  about half each), judged on the outcome chosen at start: completion (Newcombe interval, two-proportion z or Fisher
  exact), adherence or a metric's change per member (Welch's t); a warning below 30 members per arm [difference B -
  A]
- **proactive uplift**: per trigger: of the decisions `sent` (contacted) and `holdout`, the share whose member was
  active again within 48 h after the decision; uplift = contacted - holdout with Newcombe's 95% interval; judged
  only once the 48 h are over [0..1]
- **twin quality**: the twin's answers (modes llm, extractive, correction) in members' conversations (not the
  playground): grounded share, refused share ("not in my material": not grounded), by mode; members' thumbs
  up/down and handoff requests (by the day given); twin messages with a safety flag; mean persona consistency by day
  (days with 5 or more scored replies) [counts; 0..1; UTC days]
- **suppression**: any cell describing 1-4 members is `null` and named in `suppressed` (a rate whose count is hidden
  is hidden too); zero is shown; the CSV leaves it empty and says `suppressed`
"""

from __future__ import annotations

from datetime import timedelta

from backend.analytics.stats import MIN_CELL, SMALL_SAMPLE

REACTIVATION = timedelta(hours=48)  # a contacted member active again within this counts as reactivated
METRIC_KINDS = ("scale", "number")
ADHERENCE_BUCKETS = 10  # per-member adherence in tenths: [0, 0.1), ..., [0.9, 1.0]
STREAK_BUCKETS = ((0, 0), (1, 1), (2, 3), (4, 6), (7, 13), (14, None))  # days, inclusive ranges
MAX_WEEKS = 26  # retention weeks followed after enrollment
ANSWER_MODES = ("llm", "extractive", "correction")  # the twin answering a member (not a handoff's acknowledgement)

__all__ = [
    "ADHERENCE_BUCKETS",
    "ANSWER_MODES",
    "MAX_WEEKS",
    "METRIC_KINDS",
    "MIN_CELL",
    "REACTIVATION",
    "SMALL_SAMPLE",
    "STREAK_BUCKETS",
]
