class DomainError(Exception):
    """A business rule said no. The message is for the user (translated), never a traceback."""

    def __init__(self, message, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)
