"""Who may do what: roles, users, sessions and tokens, screens, read rules."""
