"""The one error hierarchy: each class carries its CloudStack error code.

The API layer maps these to the wire in one place; services and domain code raise them
with a text that names the value and the reason.
"""

from __future__ import annotations

from typing import ClassVar


class CloudError(Exception):
    """A refusal the caller should see, with CloudStack's HTTP code and cserrorcode."""

    code: ClassVar[int] = 530
    cs_code: ClassVar[int] = 4250

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def envelope(self, text: str | None = None) -> dict[str, object]:
        """CloudStack's error object (the HTTP answer's and a failed job's), with `text` instead of ours if given."""
        return {"uuidList": [], "errorcode": self.code, "cserrorcode": self.cs_code,
                "errortext": self.text if text is None else text}


class AuthenticationFailed(CloudError):
    code = 401
    cs_code = 4260

    def __init__(self) -> None:
        super().__init__("unable to verify user credentials and/or request signature")


class ParameterError(CloudError, ValueError):
    """A value the caller sent cannot be used (also a ValueError, for value types that validate themselves)."""

    code = 431
    cs_code = 4350


class MissingParameter(ParameterError):
    """A required parameter is absent; the API layer words it with the command name."""

    def __init__(self, param: str) -> None:
        super().__init__(f"missing parameter {param}")
        self.param = param


class UnknownEntity(ParameterError):
    """A uuid names nothing the caller may see (absent and foreign look the same)."""

    def __init__(self, param: str, value: str) -> None:
        super().__init__(f"invalid value for {param}: {value}")
        self.param = param
        self.value = value


class Unsupported(CloudError):
    code = 432
    cs_code = 4370


class InternalError(CloudError):
    code = 530
    cs_code = 4250


class PermissionDenied(CloudError):
    code = 531
    cs_code = 4365


class InsufficientCapacity(CloudError):
    code = 533
    cs_code = 4310


class ResourceInUse(CloudError):
    code = 536
    cs_code = 4380


class RuleConflict(CloudError):
    code = 537
    cs_code = 4390


class CrossSiteRequest(CloudError):
    """A browser says a UI-session request comes from another site's page (a forged request)."""

    code = 401
    cs_code = 4260
