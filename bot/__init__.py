"""mlquestion's platform-neutral core: question bank, selection, schedules, store and messages."""

__version__ = "0.1.0"
