"""CoachTwin creator hub (Reflex). Every piece of data comes from the API through `frontend.api`."""
