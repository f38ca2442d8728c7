"""The generic entity routes: configure an entity once, serve every operation.

Use::

    from read_api.generic import EntityRoutes, Operation, expose

    routes = EntityRoutes(name="origdatablocks", version=ApiVersion.V4, ...)
    group = RouteGroup("/api/v4/origdatablocks", tags=("origdatablocks",))
    expose(group, routes, (Operation.LIST, Operation.GET, Operation.PATCH))

See :mod:`read_api.generic.exposure` for the operations and
:mod:`read_api.generic.queries` for the filter languages.
"""

from read_api.generic.context import (
    call_context,
    group_config,
    services_of,
    unmodified_since,
    use_runtime,
    use_services,
)
from read_api.generic.exposure import (
    ALL_OPERATIONS,
    CountOut,
    EntityRoutes,
    FilterQuery,
    Gate,
    IncludeQuery,
    Operation,
    check_gate,
    check_route_gate,
    count_documents,
    create_document,
    delete_document,
    expose,
    find_documents,
    get_document,
    list_documents,
    patch_document,
    render,
    replace_document,
)
from read_api.generic.queries import (
    FilterLanguage,
    FilterRules,
    ReadRequest,
    include_param,
    read_count_where,
    read_request,
)

__all__ = [
    "ALL_OPERATIONS",
    "CountOut",
    "EntityRoutes",
    "FilterLanguage",
    "FilterQuery",
    "FilterRules",
    "Gate",
    "IncludeQuery",
    "Operation",
    "ReadRequest",
    "call_context",
    "check_gate",
    "check_route_gate",
    "count_documents",
    "create_document",
    "delete_document",
    "expose",
    "find_documents",
    "get_document",
    "group_config",
    "include_param",
    "list_documents",
    "patch_document",
    "read_count_where",
    "read_request",
    "render",
    "replace_document",
    "services_of",
    "unmodified_since",
    "use_runtime",
    "use_services",
]
