"""Run first by every Python process of a gateway that ``python -m bench.costs`` measures (this folder is
put first on its ``PYTHONPATH``): the parts of a deposit are timed from here on."""

import os

from bench._costs_hooks import ENV, install  # the standard library only: nothing of the gateway yet

if os.environ.get(ENV):
    install(os.environ[ENV])
