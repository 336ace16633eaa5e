"""One module per page, each with its own substate of `AuthState`."""
