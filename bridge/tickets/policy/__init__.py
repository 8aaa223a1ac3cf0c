"""The support policy: what it promises (`model`) and how a policy file is read and checked (`loader`)."""
from bridge.tickets.policy.loader import load_policy
from bridge.tickets.policy.model import (
    COLOURS,
    ENTITLEMENTS,
    WEEKDAYS,
    BusinessDays,
    BusinessHours,
    CreditCategory,
    CreditPackage,
    CreditTerms,
    EmailDefaults,
    OpeningHours,
    OutOfHoursCover,
    PolicyError,
    Priority,
    PublicHolidays,
    RequestType,
    SupportPolicy,
    Target,
)

__all__ = ["COLOURS", "ENTITLEMENTS", "WEEKDAYS", "BusinessDays", "BusinessHours", "CreditCategory", "CreditPackage",
           "CreditTerms", "EmailDefaults", "OpeningHours", "OutOfHoursCover", "PolicyError", "Priority",
           "PublicHolidays", "RequestType", "SupportPolicy", "Target", "load_policy"]
