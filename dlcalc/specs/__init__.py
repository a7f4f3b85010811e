"""Problem files: safe loading and one pydantic model per kind of problem."""
