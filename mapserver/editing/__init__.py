"""Writing projects: checked, in one transaction with the county rule and history."""
