"""The CoachTwin creator hub: routes and the app."""

from __future__ import annotations

import reflex as rx

from frontend.pages.analytics.page import analytics_page
from frontend.pages.analytics.state import AnalyticsState
from frontend.pages.auth import login_page, signup_page, verify_page
from frontend.pages.channels.page import channels_page
from frontend.pages.channels.state import ChannelsState
from frontend.pages.conversation import ThreadState, thread_page
from frontend.pages.conversations import ConversationsState, conversations_page
from frontend.pages.engagement import EngagementState, engagement_page
from frontend.pages.home import HomeState, home_page
from frontend.pages.invitation import InviteState, invitation_page
from frontend.pages.knowledge.document import DocumentState, document_page
from frontend.pages.knowledge.page import knowledge_page
from frontend.pages.knowledge.state import KnowledgeState
from frontend.pages.landing import not_found_page
from frontend.pages.password import PasswordState, forgot_page, reset_page
from frontend.pages.persona.page import persona_page
from frontend.pages.persona.state import PersonaState
from frontend.pages.programs.builder import builder_page
from frontend.pages.programs.builder_state import BuilderState
from frontend.pages.programs.list import ProgramsState, programs_page
from frontend.pages.programs.simulator import SimulatorState
from frontend.pages.settings import SettingsState, settings_page
from frontend.pages.team import TeamState, team_page
from frontend.state import AuthState

app = rx.App()

app.add_page(login_page, route="/login", title="Sign in · CoachTwin", on_load=AuthState.redirect_if_signed_in)
app.add_page(signup_page, route="/signup", title="Sign up · CoachTwin", on_load=AuthState.redirect_if_signed_in)
app.add_page(verify_page, route="/verify-email", title="Confirm your email · CoachTwin", on_load=AuthState.verify_email)
app.add_page(
    invitation_page, route="/accept-invitation", title="Join a workspace · CoachTwin", on_load=InviteState.open_invite
)
app.add_page(
    forgot_page, route="/forgot-password", title="Forgot password · CoachTwin", on_load=PasswordState.open_forgot
)
app.add_page(reset_page, route="/reset-password", title="New password · CoachTwin", on_load=PasswordState.open_reset)
app.add_page(home_page, route="/", title="CoachTwin: your coaching twin", on_load=HomeState.load)
app.add_page(not_found_page, route="404", title="Page not found · CoachTwin")
app.add_page(knowledge_page, route="/knowledge", title="Knowledge · CoachTwin", on_load=KnowledgeState.load)
app.add_page(document_page, route="/knowledge/[doc_id]", title="Document · CoachTwin", on_load=DocumentState.load)
app.add_page(persona_page, route="/persona", title="Persona · CoachTwin", on_load=PersonaState.load)
app.add_page(
    conversations_page, route="/conversations", title="Conversations · CoachTwin", on_load=ConversationsState.load
)
app.add_page(thread_page, route="/conversations/[conv_id]", title="Conversation · CoachTwin", on_load=ThreadState.load)
app.add_page(programs_page, route="/programs", title="Programs · CoachTwin", on_load=ProgramsState.load)
app.add_page(
    builder_page,
    route="/programs/[program_id]",
    title="Program builder · CoachTwin",
    on_load=[BuilderState.load, SimulatorState.reset_run],
)
app.add_page(engagement_page, route="/engagement", title="Engagement · CoachTwin", on_load=EngagementState.load)
app.add_page(analytics_page, route="/analytics", title="Analytics · CoachTwin", on_load=AnalyticsState.load)
app.add_page(channels_page, route="/channels", title="Channels · CoachTwin", on_load=ChannelsState.load)
app.add_page(team_page, route="/team", title="Team · CoachTwin", on_load=TeamState.load)
app.add_page(settings_page, route="/settings", title="Settings · CoachTwin", on_load=SettingsState.load)
