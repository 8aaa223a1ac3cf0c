"""`python -m bridge.cli`: the `kb` command without its installed script (tests start servers this way)."""
from bridge.cli import main

main()
