"""The battle map (挂图作战): its records, review, health, red/black lists and report."""
