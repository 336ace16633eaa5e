"""The CoachTwin creator hub: routes and the app."""

from __future__ import annotations

import reflex as rx

from frontend.pages.auth import InviteState, accept_page, login_page, signup_page
from frontend.pages.home import HomeState, home_page
from frontend.pages.settings import SettingsState, settings_page
from frontend.pages.team import TeamState, team_page
from frontend.state import AuthState

app = rx.App()

app.add_page(login_page, route="/login", title="Sign in · CoachTwin", on_load=AuthState.redirect_if_signed_in)
app.add_page(signup_page, route="/signup", title="Sign up · CoachTwin", on_load=AuthState.redirect_if_signed_in)
app.add_page(accept_page, route="/accept-invitation", title="Join · CoachTwin", on_load=InviteState.reset_invite)
app.add_page(home_page, route="/", title="Home · CoachTwin", on_load=HomeState.load)
app.add_page(team_page, route="/team", title="Team · CoachTwin", on_load=TeamState.load)
app.add_page(settings_page, route="/settings", title="Settings · CoachTwin", on_load=SettingsState.load)
