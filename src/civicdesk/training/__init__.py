"""Rebuilding the triage models from labelled data: data sets, training rows, the heads.

Needs the ``triage-train`` extra (scikit-learn, scipy). Nothing at run time imports this app:
scoring reads only the artifacts it writes (``civicdesk.triage.artifacts``).
"""
