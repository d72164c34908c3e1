"""HR exports: status per person (now or as of a past day) and every evidence row, as CSV."""
