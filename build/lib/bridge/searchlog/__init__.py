"""The search log: what customers searched for, whether it helped, and what writers should write next.

It stores no personal data: no IP address, no email, no account; at most a random id per visit,
made by the browser for one page's searches. Old entries are purged after a retention period.
"""
