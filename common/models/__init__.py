"""SQLModel tables shared by backend and frontend. Every tenant table carries `creator_id`."""

from common.models.accounts import AccountToken, Creator, Invitation, Membership, RefreshToken, User
from common.models.analytics import (
    AnalyticsActivity,
    AnalyticsContact,
    AnalyticsDirty,
    AnalyticsEnrollment,
    AnalyticsProgramDay,
    AnalyticsTwinDay,
    ProgramExperiment,
)
from common.models.base import TenantTable
from common.models.channels import (
    ChannelEvent,
    MemberIdentity,
    MessageFeedback,
    MessagingChannel,
    OutboxMessage,
    WebChannel,
)
from common.models.engagement import Decision, EventType, Firing, MemberEngagement, MemberEvent, Trigger
from common.models.knowledge import Chunk, Document, DocumentFile, KnowledgeStats
from common.models.programs import Achievement, Enrollment, Program, ProgramEvent, ProgramTimer, ProgramVersion
from common.models.trainer import Correction, Evaluation, EvaluationResult, GoldQuestion
from common.models.twin import Conversation, Member, MemberFact, Message, Persona

__all__ = [
    "AccountToken",
    "Achievement",
    "AnalyticsActivity",
    "AnalyticsContact",
    "AnalyticsDirty",
    "AnalyticsEnrollment",
    "AnalyticsProgramDay",
    "AnalyticsTwinDay",
    "ChannelEvent",
    "Chunk",
    "Conversation",
    "Correction",
    "Creator",
    "Decision",
    "Document",
    "DocumentFile",
    "Enrollment",
    "Evaluation",
    "EvaluationResult",
    "EventType",
    "Firing",
    "GoldQuestion",
    "Invitation",
    "KnowledgeStats",
    "Member",
    "MemberEngagement",
    "MemberEvent",
    "MemberFact",
    "MemberIdentity",
    "Membership",
    "Message",
    "MessageFeedback",
    "MessagingChannel",
    "OutboxMessage",
    "Persona",
    "Program",
    "ProgramEvent",
    "ProgramExperiment",
    "ProgramTimer",
    "ProgramVersion",
    "RefreshToken",
    "TenantTable",
    "Trigger",
    "User",
    "WebChannel",
]
