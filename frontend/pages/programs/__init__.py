"""Coaching programs in the hub: the list, the React Flow builder, the simulator and enrollments."""
