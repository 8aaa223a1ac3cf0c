"""Ticket domain core: support policy, business-time clock and reference numbers (no web framework here)."""
