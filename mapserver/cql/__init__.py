"""CQL2 filters: parsed, their operands checked and bound, compiled to SQL."""
