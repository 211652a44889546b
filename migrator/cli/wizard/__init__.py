"""``wimigrate wizard``: the migration as a guided session (command, steps, prompts, decisions)."""
