"""The one error a service raises: it says what failed and how to fix it."""


class ServiceError(RuntimeError):
    """A service could not start, stop or be reached."""
