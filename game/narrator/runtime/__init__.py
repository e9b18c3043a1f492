"""Runtime stage: the narrator's worker thread, the fake and null narrators, and the factory choosing one."""
