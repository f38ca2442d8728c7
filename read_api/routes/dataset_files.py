"""v3 dataset sub-routes for file lists, datablocks and attachments (reference §3.3).

``/api/v3/datasets/{pid}/origdatablocks``, ``.../datablocks`` and
``.../attachments``: the gate is the dataset endpoint's sub-resource ability,
the instance decision is taken on the dataset
(:mod:`common.services.dataset_children`). Dataset sizes are recomputed from
all children after every write, never added or subtracted (our deliberate
deviation, docs/deviations.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from common.errors import InvalidError
from common.models.attachment import (
    CreateAttachmentV3Dto,
    OutputAttachmentV3Dto,
    PartialUpdateAttachmentV3Dto,
    v4_to_v3,
)
from common.models.datablock import (
    CreateDatasetDatablockDto,
    Datablock,
    PartialUpdateDatablockDto,
)
from common.models.origdatablock import (
    CreateDatasetOrigDatablockDto,
    OrigDatablock,
    PartialUpdateOrigDatablockDto,
)
from common.models.validation import ValidationFailed
from common.permissions.datasets import DatasetAction
from common.services import Services
from common.services.children import DatasetChildService
from common.services.context import ApiVersion
from common.services.dataset_children import (
    ATTACHMENT_ACTIONS,
    DATABLOCK_ACTIONS,
    ORIGDATABLOCK_ACTIONS,
    ChildActions,
    DatasetChildren,
    attachment_link,
    dataset_link,
    parent_dataset,
)
from common.services.entity import Document
from read_api.dataset_gates import dataset_gate
from read_api.generic import (
    CountOut,
    call_context,
    check_route_gate,
    services_of,
    unmodified_since,
)
from read_api.inputs import raw_body
from read_api.routing import RouteGroup

__all__ = ["dataset_files", "render_attachment_v3", "render_block"]

# SciCat's v3 sub-route lists: file lists and datablocks capped at 100.
BLOCK_LIST_LIMIT = 100


def render_block(document: Document) -> dict[str, Any]:
    """A stored file list or datablock as Mongoose answers it (virtual ``id``)."""
    return {**document, "id": str(document["_id"])}


def render_attachment_v3(document: Document) -> dict[str, Any]:
    """A stored attachment in the v3 shape (``id``, ``datasetId`` ...)."""
    rendered = v4_to_v3(dict(document))
    rendered.setdefault("id", document.get("aid", document.get("_id")))
    return rendered


class ValidOut(BaseModel):
    """``{valid, errors}``: class-validator's error objects when invalid."""

    valid: bool
    errors: list[dict[str, Any]] = []


@dataclass(frozen=True, slots=True)
class ChildKind:
    """How one kind of child is served under ``/datasets/{pid}``."""

    segment: str  # "origdatablocks"
    param: str  # "oid"
    actions: ChildActions
    service: Callable[[Services], Any]
    link: Callable[[str], dict[str, Any]]
    render: Callable[[Document], dict[str, Any]]
    output: type[BaseModel]
    create_body: type[BaseModel]
    update_body: type[BaseModel]
    update_method: str  # PATCH, or PUT for attachments
    list_limit: int = 0
    list_sort: tuple[tuple[str, int], ...] = ()
    delete_answers_document: bool = True

    def children(self, request: web.Request) -> DatasetChildren:
        services = services_of(request)
        return DatasetChildren(
            self.service(services), services.datasets, self.actions, self.link
        )


ORIGDATABLOCKS = ChildKind(
    segment="origdatablocks",
    param="oid",
    actions=ORIGDATABLOCK_ACTIONS,
    service=lambda services: services.origdatablocks,
    link=dataset_link,
    render=render_block,
    output=OrigDatablock,
    create_body=CreateDatasetOrigDatablockDto,
    update_body=PartialUpdateOrigDatablockDto,
    update_method="PATCH",
    list_limit=BLOCK_LIST_LIMIT,
)
DATABLOCKS = ChildKind(
    segment="datablocks",
    param="did",
    actions=DATABLOCK_ACTIONS,
    service=lambda services: services.datablocks,
    link=dataset_link,
    render=render_block,
    output=Datablock,
    create_body=CreateDatasetDatablockDto,
    update_body=PartialUpdateDatablockDto,
    update_method="PATCH",
    list_limit=BLOCK_LIST_LIMIT,
    # SciCat answers an empty body when one datablock is deleted.
    delete_answers_document=False,
)
ATTACHMENTS = ChildKind(
    segment="attachments",
    param="aid",
    actions=ATTACHMENT_ACTIONS,
    service=lambda services: services.attachments,
    link=attachment_link,
    render=render_attachment_v3,
    output=OutputAttachmentV3Dto,
    create_body=CreateAttachmentV3Dto,
    update_body=PartialUpdateAttachmentV3Dto,
    update_method="PUT",
    # Newest first, as SciCat lists them; we do not cut the list at 10.
    list_sort=(("createdAt", -1),),
)

dataset_files = RouteGroup("/api/v3/datasets", tags=("datasets",))


def _gate(action: DatasetAction) -> Callable[[web.Request], None]:
    gate = dataset_gate(action)

    def check(request: web.Request) -> None:
        check_route_gate(request, gate)

    return check


async def _create(kind: ChildKind, request: web.Request) -> Any:
    ctx = call_context(request, ApiVersion.V3)
    pid = request.match_info["pid"]
    body = await raw_body(request)
    if not isinstance(body, Mapping):
        raise InvalidError("request body must be a JSON object")
    services = services_of(request)
    if kind is ATTACHMENTS:
        created = await services.attachments.create_for_dataset(ctx, pid, body)
    else:
        # SciCat's message for a missing dataset on this route, then the create.
        await parent_dataset(services.datasets, ctx, pid, kind.actions.create)
        service: DatasetChildService = kind.service(services)
        created = await service.create(ctx, body, dataset_id=pid)
    return kind.render(created)


def _expose(kind: ChildKind) -> None:
    base = f"/{{pid}}/{kind.segment}"
    item = f"{base}/{{{kind.param}}}"
    name = kind.segment
    read, update, delete = (
        _gate(kind.actions.read),
        _gate(kind.actions.update),
        _gate(kind.actions.delete),
    )
    create = _gate(kind.actions.create)

    async def create_child(request: web.Request) -> Any:
        create(request)
        return await _create(kind, request)

    async def list_children(request: web.Request) -> list[dict[str, Any]]:
        read(request)
        found = await kind.children(request).list(
            call_context(request, ApiVersion.V3),
            request.match_info["pid"],
            limit=kind.list_limit,
            sort=list(kind.list_sort) or None,
        )
        return [kind.render(document) for document in found]

    async def count_children(request: web.Request) -> dict[str, int]:
        read(request)
        total = await kind.children(request).count(
            call_context(request, ApiVersion.V3), request.match_info["pid"]
        )
        return {"count": total}

    async def update_child(request: web.Request) -> dict[str, Any]:
        update(request)
        changes = await raw_body(request)
        if not isinstance(changes, Mapping):
            raise InvalidError("request body must be a JSON object")
        updated = await kind.children(request).patch(
            call_context(request, ApiVersion.V3),
            request.match_info["pid"],
            request.match_info[kind.param],
            changes,
            unmodified_since=unmodified_since(request),
        )
        return kind.render(updated)

    async def delete_child(request: web.Request) -> Any:
        delete(request)
        removed = await kind.children(request).delete(
            call_context(request, ApiVersion.V3),
            request.match_info["pid"],
            request.match_info[kind.param],
        )
        return kind.render(removed) if kind.delete_answers_document else None

    async def delete_children(request: web.Request) -> dict[str, int]:
        delete(request)
        total = await kind.children(request).delete_all(
            call_context(request, ApiVersion.V3), request.match_info["pid"]
        )
        return {"count": total}

    many: Any = list[kind.output]  # type: ignore[name-defined]
    item_answers = {400: None, 403: None, 404: None}
    dataset_files.add(
        "POST",
        base,
        create_child,
        summary=f"Add to the dataset's {name}",
        body=kind.create_body,
        response=kind.output,
        responses={**item_answers, 409: None},
        operation_id=f"dataset_{name}_create",
    )
    dataset_files.add(
        "GET",
        base,
        list_children,
        summary=f"The dataset's {name}",
        response=many,
        responses={403: None, 404: None},
        operation_id=f"dataset_{name}_list",
    )
    dataset_files.add(
        "GET",
        f"{base}/count",
        count_children,
        summary=f"How many {name} the dataset has",
        response=CountOut,
        responses={403: None, 404: None},
        operation_id=f"dataset_{name}_count",
    )
    dataset_files.add(
        kind.update_method,
        item,
        update_child,
        summary=f"Update one of the dataset's {name}",
        body=kind.update_body,
        response=kind.output,
        responses={**item_answers, 412: None},
        operation_id=f"dataset_{name}_update",
    )
    dataset_files.add(
        "DELETE",
        item,
        delete_child,
        summary=f"Delete one of the dataset's {name}",
        response=kind.output if kind.delete_answers_document else None,
        responses=item_answers,
        operation_id=f"dataset_{name}_delete",
    )
    dataset_files.add(
        "DELETE",
        base,
        delete_children,
        summary=f"Delete all of the dataset's {name}",
        response=CountOut,
        responses={403: None, 404: None},
        operation_id=f"dataset_{name}_delete_all",
    )


for _kind in (ORIGDATABLOCKS, DATABLOCKS, ATTACHMENTS):
    _expose(_kind)


@dataset_files.post(
    "/{pid}/origdatablocks/isValid",
    summary="Check a file list body for the dataset without storing it",
    body=CreateDatasetOrigDatablockDto,
    response=ValidOut,
    responses={403: None, 404: None},
    status=200,
)
async def origdatablock_is_valid(request: web.Request) -> dict[str, Any]:
    check_route_gate(request, dataset_gate(DatasetAction.ORIGDATABLOCK_CREATE))
    ctx = call_context(request, ApiVersion.V3)
    services = services_of(request)
    await parent_dataset(
        services.datasets,
        ctx,
        request.match_info["pid"],
        DatasetAction.ORIGDATABLOCK_CREATE,
    )
    try:
        services.origdatablocks.validate_create(
            await raw_body(request), ApiVersion.V3, sub_route=True
        )
    except ValidationFailed as failed:
        return {"valid": False, "errors": failed.errors}
    return {"valid": True, "errors": []}
