"""The review board: targets in business time, the board's actions on a ticket and who is told, the queue and
the figures."""
