"""Where and when a shopper is: the device class, the country or region (an ISO 3166 code)
and the local hour, as a storefront may send them with an event or a recommendation request.

Every field is optional and bounded; a problem is reported by the field's name and the
accepted shape, never by the value that was sent."""

import re
from dataclasses import dataclass
from enum import Enum

from app.errors import InvalidInput

MAX_REGION_LENGTH = 6
"""The longest ISO code taken: ``GB`` (3166-1 alpha-2) or ``GB-ENG`` (a 3166-2 subdivision)."""
_REGION = re.compile(r"[A-Z]{2}(-[A-Z0-9]{1,3})?")
HOURS = 24


class DeviceClass(str, Enum):
    MOBILE = "MOBILE"
    DESKTOP = "DESKTOP"
    TABLET = "TABLET"


@dataclass(frozen=True)
class ShopperContext:
    """``None`` where the storefront did not say."""

    device: DeviceClass | None = None
    region: str | None = None
    """An upper-case ISO 3166 code: a country (``GB``) or a region of one (``GB-ENG``)."""
    local_hour: int | None = None

    @property
    def country(self) -> str | None:
        """The country part of ``region`` (``GB`` for ``GB-ENG``)."""
        return self.region[:2] if self.region else None

    @property
    def empty(self) -> bool:
        return self.device is None and self.region is None and self.local_hour is None

    def merged_over(self, older: "ShopperContext | None") -> "ShopperContext":
        """This context, with what it leaves out taken from ``older``."""
        if older is None:
            return self
        return ShopperContext(self.device or older.device, self.region or older.region,
                              older.local_hour if self.local_hour is None else self.local_hour)


NO_CONTEXT = ShopperContext()


def device_problem(value: str | None) -> str | None:
    if value is None or value in DeviceClass.__members__:
        return None
    return "deviceClass must be one of MOBILE, DESKTOP, TABLET"


def region_problem(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) > MAX_REGION_LENGTH or not _REGION.fullmatch(value.upper()):
        return "region must be an ISO 3166 code such as GB or GB-ENG"
    return None


def hour_problem(value: int | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < HOURS:
        return f"localHour must be an integer between 0 and {HOURS - 1}"
    return None


def context_problem(device: str | None, region: str | None, local_hour: int | None) -> str | None:
    """Why these fields cannot be taken, or ``None``."""
    return device_problem(device) or region_problem(region) or hour_problem(local_hour)


def shopper_context(device: str | None, region: str | None,
                    local_hour: int | None) -> ShopperContext:
    """The context of checked fields (``InvalidInput`` for fields that fail the checks)."""
    problem = context_problem(device, region, local_hour)
    if problem is not None:
        raise InvalidInput(problem)
    return ShopperContext(DeviceClass(device) if device else None,
                          region.upper() if region else None, local_hour)
