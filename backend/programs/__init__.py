"""Coaching programs: the graph model and its validation, the runtime, timers, simulator and templates."""
