"""Proactive engagement: behaviour events, creator-set triggers, and the scheduler that reaches out."""
