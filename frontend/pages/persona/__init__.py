"""The Persona area: the studio (how the twin speaks) and the playground (how it answers)."""
