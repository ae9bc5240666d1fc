"""``python -m socialrec.cli`` (torchrun uses it)."""

from socialrec.cli import main

main()
