"""What a worked solution is made of: formula trees, steps, sections, records, drawings."""
