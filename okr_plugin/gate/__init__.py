"""The data-quality gate: Great Expectations suites over the input tables, run before builds.

Events reach the warehouse through the CLI (validated on append) but also around it: an ELT job
writing into the event tables, an extra observation relation, a hand-edited table. The gate
checks what is stored, whatever wrote it. Each expectation is critical (a failure stops the
build before dbt touches a table) or a warning (reported). Every run adds one row per
expectation to okr_quality_results and rewrites GX's HTML documents in a known folder.

- suites: what is expected of each input table;
- runner: the GX run and run_gate, its entry point;
- results: each expectation's outcome, the run's report, and their record in the warehouse.

GX connects through the backend's gx_url and engine options (backends/).
"""
