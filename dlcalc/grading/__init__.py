"""A student's answers judged against a worked solution: names, error carried forward, conventions, class reports."""
