"""One run of one experiment: its spec, its directory, what it builds, its pipeline, its outputs.

``spec`` (what defines a run) → ``pipeline`` (load → split → preprocess → fit, using ``build``)
→ ``artifacts`` (``results.Results``, predictions, the report), all inside ``rundir``.
"""
