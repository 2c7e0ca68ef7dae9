"""The project's exception family: every message is written for the adviser to read."""


class SpDesktopError(Exception):
    """Base of every error the app expects and can explain calmly."""


class ValidationError(SpDesktopError, ValueError):
    """A value a person typed breaks a rule; `field` names the input to show the message beside."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class ConsentNeeded(ValidationError):
    """Something personal was about to be written for a person whose consent does not allow it
    (never asked, declined or withdrawn): nothing is written, and the app asks for consent."""

    def __init__(self, person_id: str, message: str) -> None:
        super().__init__("consent", message)
        self.person_id = person_id
