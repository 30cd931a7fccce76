"""The one error type of the report package."""


class ReportError(Exception):
    """A report file cannot be used: the message names the file, what is wrong and what to do."""
