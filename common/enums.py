"""Enumerations shared by the API and the hub."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    owner = "owner"
    admin = "admin"
    editor = "editor"
    viewer = "viewer"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_RANKS = {Role.viewer: 0, Role.editor: 1, Role.admin: 2, Role.owner: 3}


class PrincipalKind(StrEnum):
    staff = "staff"
    member = "member"


class DocumentStatus(StrEnum):
    queued = "queued"
    processing = "processing"
    ready = "ready"
    failed = "failed"


class AccountTokenPurpose(StrEnum):
    """What a one-time account link does (table `account_tokens`)."""

    signup = "signup"
    password_reset = "password_reset"


# ---- twin ----------------------------------------------------------------------------------------------


class PersonaStatus(StrEnum):
    draft = "draft"
    approved = "approved"  # exactly one version per workspace: the one members hear
    archived = "archived"


class PersonaSource(StrEnum):
    synthesized = "synthesized"
    edited = "edited"


class SynthesisStatus(StrEnum):
    """Progress of the persona synthesis job, as `GET /api/v1/twin/persona` reports it."""

    idle = "idle"
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class ConversationKind(StrEnum):
    member = "member"
    playground = "playground"  # staff trying the twin


class MessageRole(StrEnum):
    user = "user"
    assistant = "assistant"


class ReplyMode(StrEnum):
    llm = "llm"
    extractive = "extractive"  # built from the best passages when the model is unreachable
    program = "program"  # a coaching program's message, or its receipt of a member's answer
    handoff = "handoff"  # the twin's acknowledgement of a member's request for a person
    human = "human"  # a creator holds the conversation: the twin did not answer
    correction = "correction"  # the creator's own approved answer to this question (backend/trainer)


# ---- programs ------------------------------------------------------------------------------------------


class EnrollmentStatus(StrEnum):
    active = "active"
    paused = "paused"
    completed = "completed"
    unenrolled = "unenrolled"


class StepOutcome(StrEnum):
    """What one event or timer did to an enrollment (the engine answers applied, stale, invalid or error;
    the runtime adds duplicate and inactive). Stored on `program_events.outcome`."""

    applied = "applied"
    duplicate = "duplicate"
    stale = "stale"
    invalid = "invalid"
    inactive = "inactive"
    error = "error"


class WaitingFor(StrEnum):
    """What an enrollment waits for at its current node."""

    answer = "answer"  # a check-in's answer
    timer = "timer"  # a wait node's timer
    twin = "twin"  # the member's turns with the twin


class ProgramEventType(StrEnum):
    answer = "answer"
    event = "event"  # a named behaviour event
    message = "message"  # a turn with the twin
    timer = "timer"


class TimerKind(StrEnum):
    wait = "wait"  # a wait node ending
    window = "window"  # a check-in's or twin exchange's window closing


class TimerOutcome(StrEnum):
    fired = "fired"
    cancelled = "cancelled"
    stale = "stale"


class SimulationStatus(StrEnum):
    running = "running"
    completed = "completed"
    waiting = "waiting"  # stopped at a check-in with no scripted answer
    error = "error"
    limit = "limit"  # max_steps reached


class EvaluationStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


# ---- members and channels ------------------------------------------------------------------------------


class Channel(StrEnum):
    """Where a message was said or sent. `hub`: the creator's playground."""

    web = "web"
    hub = "hub"
    telegram = "telegram"
    whatsapp = "whatsapp"


class MessageSender(StrEnum):
    """Who spoke: the member, the twin, the creator (takeover), a program step, a proactive nudge."""

    member = "member"
    twin = "twin"
    creator = "creator"
    program = "program"
    proactive = "proactive"


class IdentityKind(StrEnum):
    """A channel address that leads to one member (the creator's own id is `members.external_id`)."""

    web_visitor = "web_visitor"
    telegram_chat = "telegram_chat"
    whatsapp_wa_id = "whatsapp_wa_id"
    whatsapp_bsuid = "whatsapp_bsuid"


class DeliveryStatus(StrEnum):
    queued = "queued"
    sent = "sent"
    delivered = "delivered"
    read = "read"
    failed = "failed"


class Rating(StrEnum):
    up = "up"
    down = "down"


class TriggerKind(StrEnum):
    inactivity = "inactivity"  # no activity for N days
    missed_checkin = "missed_checkin"  # K program check-ins unanswered in a row
    streak_broken = "streak_broken"  # a daily event missed past its grace days
    milestone = "milestone"  # a program goal reached, or an event's count hit
    event = "event"  # a custom event matching a condition
    risk = "risk"  # a safety flag: the creator is told at once


class ActionType(StrEnum):
    message = "message"
    twin_nudge = "twin_nudge"
    enroll = "enroll"
    notify_creator = "notify_creator"


class FiringStatus(StrEnum):
    pending = "pending"  # found, or deferred to `due_at` (quiet hours)
    done = "done"


class DecisionOutcome(StrEnum):
    """Every decision about one firing, logged with its reason."""

    sent = "sent"
    deferred_quiet_hours = "deferred_quiet_hours"
    capped = "capped"
    cooldown = "cooldown"
    opted_out = "opted_out"
    holdout = "holdout"
    cancelled_member_active = "cancelled_member_active"


class EventSource(StrEnum):
    member = "member"
    staff = "staff"


# ---- analytics -----------------------------------------------------------------------------------------


class ExperimentOutcome(StrEnum):
    """The primary outcome an A/B of program versions is judged on (chosen before it starts)."""

    completion = "completion"  # share of members who completed
    adherence = "adherence"  # each member's check-ins answered within their window / sent
    metric = "metric"  # each member's change of a self-reported metric (latest - first)


class ExperimentStatus(StrEnum):
    running = "running"
    stopped = "stopped"
