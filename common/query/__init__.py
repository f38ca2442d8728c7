"""Query languages of SciCat translated to MongoDB filters and pipelines.

Pure translation code: nothing here touches the store or knows HTTP. Every
function raises :class:`common.errors.InvalidError` for bad input, which the
HTTP edge answers with 400.

Modules:

* ``operators``: the operator allow-list and the bounds on user regexes;
* ``jsonparam``: JSON query parameters (``filter``, ``fields``, ``limits`` ...);
* ``dates``: the lenient string-to-date coercion of loopback ``where``;
* ``loopback``: the loopback ``filter`` pipe (v3 routes);
* ``allowlist``: the v4 key allow-list;
* ``v4``: the v4 ``filter`` parameter and the generic list pipeline;
* ``schema``: field types and key sets derived from the pydantic models;
* ``projection``: ``fields`` normalisation into projections;
* ``limits``: ``limit``/``skip``/``order``/``sort`` with SciCat's defaults;
* ``include``: relations as ``$lookup`` stages;
* ``fullquery`` and ``scientific``: the fullquery ``fields`` object;
* ``fullfacet``: facet pipelines;
* ``metadatakeys``: the legacy metadataKeys listing.

Key encoding and unit conversion come from ``common.scimeta`` and
``common.units``.
"""
