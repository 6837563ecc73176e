"""Local time of an account: its IANA time zone, else its region's principal zone.

Late-night and usual-hours risk signals need the creator's local hour, and push
quiet hours the user's. The contract gives an optional ``timezone`` per account and
a region (ISO 3166-1 alpha-2); a region's principal zone is the zone most of its
population lives in. Shared by the risk funnel and the feed, which never import
each other.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["PRINCIPAL_ZONES", "local_hour", "utc_offset_seconds", "zone_for"]

#: The principal IANA zone per region (most populous zone where a country has several).
PRINCIPAL_ZONES: dict[str, str] = {
    "AE": "Asia/Dubai",
    "AR": "America/Argentina/Buenos_Aires",
    "AT": "Europe/Vienna",
    "AU": "Australia/Sydney",
    "BD": "Asia/Dhaka",
    "BE": "Europe/Brussels",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CH": "Europe/Zurich",
    "CL": "America/Santiago",
    "CN": "Asia/Shanghai",
    "CO": "America/Bogota",
    "CZ": "Europe/Prague",
    "DE": "Europe/Berlin",
    "DK": "Europe/Copenhagen",
    "EG": "Africa/Cairo",
    "ES": "Europe/Madrid",
    "FI": "Europe/Helsinki",
    "FR": "Europe/Paris",
    "GB": "Europe/London",
    "GR": "Europe/Athens",
    "HK": "Asia/Hong_Kong",
    "HU": "Europe/Budapest",
    "ID": "Asia/Jakarta",
    "IE": "Europe/Dublin",
    "IL": "Asia/Jerusalem",
    "IN": "Asia/Kolkata",
    "IT": "Europe/Rome",
    "JP": "Asia/Tokyo",
    "KE": "Africa/Nairobi",
    "KR": "Asia/Seoul",
    "MA": "Africa/Casablanca",
    "MX": "America/Mexico_City",
    "MY": "Asia/Kuala_Lumpur",
    "NG": "Africa/Lagos",
    "NL": "Europe/Amsterdam",
    "NO": "Europe/Oslo",
    "NZ": "Pacific/Auckland",
    "PE": "America/Lima",
    "PH": "Asia/Manila",
    "PK": "Asia/Karachi",
    "PL": "Europe/Warsaw",
    "PT": "Europe/Lisbon",
    "RO": "Europe/Bucharest",
    "RU": "Europe/Moscow",
    "SA": "Asia/Riyadh",
    "SE": "Europe/Stockholm",
    "SG": "Asia/Singapore",
    "TH": "Asia/Bangkok",
    "TR": "Europe/Istanbul",
    "TW": "Asia/Taipei",
    "UA": "Europe/Kyiv",
    "US": "America/New_York",
    "VN": "Asia/Ho_Chi_Minh",
    "ZA": "Africa/Johannesburg",
}


@lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_for(timezone: str | None, region: str | None) -> ZoneInfo | None:
    """The account's zone, else its region's principal zone, else None (unknown).

    >>> zone_for(None, "JP").key
    'Asia/Tokyo'
    >>> zone_for("Europe/Berlin", "US").key
    'Europe/Berlin'
    >>> zone_for(None, None) is None
    True
    """
    if timezone:
        zone = _zone(timezone)
        if zone is not None:
            return zone
    if region and region in PRINCIPAL_ZONES:
        return _zone(PRINCIPAL_ZONES[region])
    return None


def utc_offset_seconds(zone: ZoneInfo, t: float) -> float:
    """The zone's offset from UTC at Unix time ``t``, daylight saving included.

    >>> utc_offset_seconds(ZoneInfo("Asia/Kolkata"), 0.0)
    19800.0
    """
    offset = datetime.fromtimestamp(t, UTC).astimezone(zone).utcoffset()
    return 0.0 if offset is None else offset.total_seconds()


def local_hour(t: float, offset_seconds: float) -> float:
    """The local hour of day (``[0, 24)``) at Unix time ``t`` for a UTC offset.

    >>> local_hour(0.0, 19800.0)
    5.5
    """
    return ((t + offset_seconds) % 86400.0) / 3600.0
