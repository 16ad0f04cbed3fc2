"""Run first by every Python process of a gateway that ``python -m bench.costs`` measures (this folder is
put first on its ``PYTHONPATH``): the parts of a deposit are timed from here on."""

import os

if os.environ.get("BENCH_COSTS_DIR"):
    from bench._costs_hooks import ENV, install

    install(os.environ[ENV])
