"""Pure computation for turnaround: no Django, arrays in, immutable results out."""
