"""Which examples of the gallery run while the site is built.

``FASTDNN_DOCS_GALLERY`` (read by docs/conf.py) picks a build:

- ``quick``, the default and CI's: every example but those in ``SLOW``;
- ``full``, for releases: every example that finishes on its own;
- ``none``: no example runs.

An example that does not run still gets its page, with its code and text.
"""

import re

# Over about 20 s each on 2 shared cores: CI's quick build leaves them out.
SLOW = (
    "autoencoder_vs_pca.py",
    "curriculum_and_continuation.py",
    "distillation_mnist.py",
    "hyperparameter_search.py",
)

# Runs until stopped: it is shown, never run.
NEVER = ("serve_http.py",)

BUILDS = ("quick", "full", "none")


def executed_pattern(build):
    """sphinx-gallery's filename_pattern: a regular expression matching the
    paths of the examples that run in this build."""
    if build not in BUILDS:
        raise ValueError(f"FASTDNN_DOCS_GALLERY must be one of {BUILDS}, got {build!r}")
    skipped = {"quick": SLOW + NEVER, "full": NEVER}.get(build)
    if skipped is None:
        return r"^$"
    excluded = "|".join(re.escape(name) for name in skipped)
    return rf"^(?!.*[/\\]({excluded})$).*\.py$"
