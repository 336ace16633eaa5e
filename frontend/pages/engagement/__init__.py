"""The Engagement page: triggers (a labelled field per parameter of each kind), preview, and the decision log."""

from frontend.pages.engagement.page import engagement_page
from frontend.pages.engagement.state import EngagementState

__all__ = ["EngagementState", "engagement_page"]
