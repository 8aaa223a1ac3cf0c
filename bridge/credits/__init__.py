"""Credits: the append-only ledger of each organisation, assessment of tickets by the board, quotes for work outside the agreement."""
