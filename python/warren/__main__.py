"""`python -m warren run module:worker`: see warren.runner."""
from .runner import main

main()
