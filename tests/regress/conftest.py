"""The sample user repository is run by its own pytest (pytester), never collected by this suite."""

collect_ignore = ["sample_repo"]
