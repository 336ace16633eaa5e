"""The simulated cohort's people and their scripted behaviour (no I/O; one seeded random source).

Four kinds of member, in shares a coaching program sees: the committed answer nearly every morning and their
readiness (the 1-5 intention check-in) climbs; the steady answer most mornings and stay where they started; the
faders answer the first few mornings, then go quiet and half of them leave the program; the silent never answer.
A nudge from the engagement trigger makes a member who has answered before likelier to answer the next two mornings
(its uplift; the silent stay silent), and
the program's second version (in an A/B experiment) is answered a little more often.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

FIRST = ["Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kemi", "Liam"]
FIRST += ["Maya", "Noah", "Olga", "Pavel", "Quinn", "Rosa", "Sami", "Tara", "Umar", "Vera", "Yusuf", "Zoe"]
LAST = ["Abbott", "Brandt", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ivanova"]
LAST += ["Jensen", "Kowalski", "Lopez", "Moreau", "Okafor", "Park", "Rossi", "Silva", "Tanaka"]
# Zones on both sides of the autumn clock change, so the cohort's mornings cross a DST edge.
ZONES = ["Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "Asia/Tokyo",
         "Australia/Sydney", "UTC"]  # fmt: skip
QUESTIONS = [
    "How do I stop worrying about what other people think of me?",
    "What should I do when I feel angry at a colleague?",
    "How can I accept things I cannot change?",
    "I keep postponing my work. What would you advise?",
    "How do I stay calm when plans fall apart?",
    "thanks!",
]


class Kind(StrEnum):
    committed = "committed"
    steady = "steady"
    fader = "fader"
    silent = "silent"


SHARES = [(Kind.committed, 0.35), (Kind.steady, 0.25), (Kind.fader, 0.25), (Kind.silent, 0.15)]
ANSWER_RATE = {Kind.committed: 0.9, Kind.steady: 0.7, Kind.fader: 0.85, Kind.silent: 0.0}
NUDGED_RATE = 0.55  # a quiet member's chance to answer in the two days after a nudge
VERSION_B_BONUS = 0.08  # version 2 (an intention named in the question) is answered a little more often


@dataclass
class Person:
    index: int
    name: str
    timezone: str
    kind: Kind
    enroll_at: datetime
    start_value: float  # readiness on the first morning
    slope: float  # readiness gained per morning answered
    quits_after: int  # a fader's last answered morning
    leaves: bool  # a fader who unenrolls once quiet
    chats: int  # questions this member puts to the twin
    nudged_until: datetime | None = None
    version: int = 1  # the program version the member was given (an A/B experiment assigns it)
    mornings: int = 0  # mornings asked so far
    answered: int = 0
    values: list[int] = field(default_factory=list)

    @property
    def external_id(self) -> str:
        return f"demo-{self.index:05d}"


class Script:
    """Deterministic for a seed: the same command fills two workspaces with the same cohort."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def people(self, count: int, start: datetime, end: datetime) -> list[Person]:
        """`count` members enrolling between `start` and 2 days before `end` (more in the first weeks)."""
        span = (end - start - timedelta(days=2)).total_seconds()
        out = []
        for i in range(count):
            r, kind = self.rng.random(), Kind.silent
            for k, share in SHARES:
                if r < share:
                    kind = k
                    break
                r -= share
            offset = span * self.rng.random() ** 1.3  # front-loaded: a launch, then word of mouth
            out.append(
                Person(
                    index=i,
                    name=f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}",
                    timezone=self.rng.choice(ZONES),
                    kind=kind,
                    enroll_at=start + timedelta(seconds=offset),
                    start_value=self.rng.choice([2, 2, 3, 3, 3, 4]),
                    slope={Kind.committed: 0.16, Kind.steady: 0.0, Kind.fader: -0.05}.get(kind, 0.0),
                    quits_after=self.rng.randint(2, 6),
                    leaves=self.rng.random() < 0.5,
                    chats=self.rng.choice([0, 0, 0, 1, 2, 3]) if kind != Kind.silent else 0,
                )
            )
        return sorted(out, key=lambda p: p.enroll_at)

    def answer(self, p: Person, asked_at: datetime) -> tuple[timedelta, int] | None:
        """Whether `p` answers this morning's check-in: after how long, and the readiness given."""
        p.mornings += 1
        rate = ANSWER_RATE[p.kind]
        if p.kind == Kind.fader and p.mornings > p.quits_after:
            rate = 0.0
        if p.version >= 2 and rate > 0:
            rate = min(0.97, rate + VERSION_B_BONUS)
        if p.nudged_until is not None and asked_at <= p.nudged_until and p.kind != Kind.silent:
            rate = max(rate, NUDGED_RATE)
        if self.rng.random() >= rate:
            return None
        p.answered += 1
        trend = p.start_value + p.slope * (p.answered - 1)
        value = int(min(5, max(1, round(trend + self.rng.gauss(0, 0.6)))))
        p.values.append(value)
        delay = timedelta(minutes=5 + self.rng.expovariate(1 / 70))
        return min(delay, timedelta(hours=11)), value

    def leaves_now(self, p: Person) -> bool:
        """A fader who has gone quiet leaves three mornings after their last answer."""
        return p.kind == Kind.fader and p.leaves and p.mornings == p.quits_after + 3

    def question(self) -> str:
        return self.rng.choice(QUESTIONS)

    def rating(self) -> str | None:
        """A member's thumbs on a twin reply: most give none; of those who do, most are pleased."""
        r = self.rng.random()
        return "up" if r < 0.35 else "down" if r < 0.45 else None
