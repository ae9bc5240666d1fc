"""Benchmarks: scripts that print figures and write ``benchmarks/RESULTS.md``."""

import warnings

# PyG triggers torch's own deprecation notice at import, once in every worker
# process; the CLI silences it the same way (socialrec/cli/__init__.py).
warnings.filterwarnings("ignore", category=FutureWarning, module=r"torch\.jit")
