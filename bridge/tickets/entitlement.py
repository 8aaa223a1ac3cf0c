"""Who may raise a ticket, and what the customer is told when support is withheld.

The policy's `entitlement` (overridable with KB_ENTITLEMENT) says who is served: `anyone`,
any contact of a customer organisation (`contacts`), or only its nominated contacts
(`nominated`). A request from anyone else is never dropped: it is stored with its reference,
status `withheld` and the reason, and its response target starts only when the board releases it.
The reasons are checked from the person outwards (do we know them, are they nominated, does
the plan cover this product for them, is the plan paid), so the customer is told the first thing
to fix.
"""
from __future__ import annotations

from datetime import date
from enum import StrEnum

from bridge.accounts.models import Contact


class WithheldReason(StrEnum):
    UNKNOWN_CONTACT = "unknown_contact"
    NOT_NOMINATED = "not_nominated"
    PRODUCT_NOT_IN_PLAN = "product_not_in_plan"
    CONTRACT_UNPAID = "contract_unpaid"


KEPT = "We have kept your request under its reference; the support team will pick it up once that is done."


def withheld_reason(entitlement: str, contact: Contact | None, product: str, today: date) -> WithheldReason | None:
    """Why support is withheld from contact (None: an unknown address) for product on `today`, or None if it is not.

    A contact may raise tickets only for the products they may see, which are always among their
    organisation's; a plan is paid while `paid_until` is today or later in the desk's own time zone.
    """
    if entitlement == "anyone":
        return None
    if contact is None:
        return WithheldReason.UNKNOWN_CONTACT
    if entitlement == "nominated" and not contact.nominated:
        return WithheldReason.NOT_NOMINATED
    organisation = contact.organisation
    if product not in organisation.products or product not in contact.products:
        return WithheldReason.PRODUCT_NOT_IN_PLAN
    if organisation.paid_until is None or organisation.paid_until < today:
        return WithheldReason.CONTRACT_UNPAID
    return None


def withheld_message(reason: WithheldReason, *, email: str, product_name: str) -> str:
    """What the customer reads on the confirmation page, in the API response and in the acknowledgement."""
    why = {
        WithheldReason.UNKNOWN_CONTACT: (
            f"{email} is not a contact of an organisation with a support plan. If your organisation has one, ask "
            "its support plan holder to add you as a nominated contact; if you usually write from another address, "
            "use that one."),
        WithheldReason.NOT_NOMINATED: (
            "only your organisation's nominated contacts receive support, and you are not one yet. Ask your "
            "organisation's support plan holder to nominate you."),
        WithheldReason.PRODUCT_NOT_IN_PLAN: (
            f"your organisation's support plan does not cover {product_name} for you. Ask your organisation's "
            f"support plan holder to add {product_name} to the plan or to your access."),
        WithheldReason.CONTRACT_UNPAID: (
            "your organisation's support contract is not paid up to date. Ask your organisation's support plan "
            "holder to renew it."),
    }[reason]
    return f"Your request is on hold: {why} {KEPT}"
