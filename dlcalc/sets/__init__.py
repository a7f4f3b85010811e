"""Problem sets: variants of a problem, what they ask, and the files handed out."""
