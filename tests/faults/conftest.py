"""The fault run takes a few minutes (its own PostgreSQL cluster, migrations, seed data, 45 s of load and the mail
afterwards), more than `make test` can give it: it runs as `make faults` (CI calls it after `make test`), which sets
JAIM_FAULT_RUN=1. Without it the run is not collected; the helpers here are used by other tests too."""

import os

collect_ignore_glob = [] if os.environ.get("JAIM_FAULT_RUN") == "1" else ["test_fault_run.py"]
