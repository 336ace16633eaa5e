"""Code shared by the API (backend) and the creator hub (frontend): settings, enums, SQLModel tables."""
