"""Continuous integration: what a run gives a GitHub Actions job, and the flagged-records issue.

``github`` turns a finished report into the job's step summary, annotations, step outputs
and (when asked) the body of the issue that lists the records flagged to unpublish;
``action`` is the script behind the repository's ``action.yml``; ``issue`` opens, updates
or closes that one issue with the ``gh`` command. docs/ci.md says how they fit together.
"""
