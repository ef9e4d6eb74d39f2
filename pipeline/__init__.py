"""The main job behind ``countylink run``, and the scope every command works on.

:func:`run_pipeline` builds every layer with the step functions of
:mod:`countylink.pipeline.steps` (called in order in
:func:`~countylink.pipeline.steps.build_layers`), keeps them in a typed
:class:`RunLayers`, draws the maps and writes everything into the output
folder at once. Steps share a :class:`RunResources` (data pack, road graph
and its routing form, rail data, read once). :func:`resolve_scope` turns
``--programme`` / ``--registry`` / ``--province`` into a :class:`Scope`.

A new feature adds a field to :class:`RunLayers` (its output file is named
after the field), a step function in ``steps.py`` that returns the new layer,
and one call in ``build_layers``.
"""

from countylink.pipeline.layers import RunLayers, read_run_layers
from countylink.pipeline.resources import RunLog, RunResources
from countylink.pipeline.run import programme_summary, run_pipeline, write_layers
from countylink.pipeline.scope import Scope, resolve_scope
from countylink.pipeline.steps import build_layers

__all__ = [
    "RunLayers",
    "RunLog",
    "RunResources",
    "Scope",
    "build_layers",
    "programme_summary",
    "read_run_layers",
    "resolve_scope",
    "run_pipeline",
    "write_layers",
]
