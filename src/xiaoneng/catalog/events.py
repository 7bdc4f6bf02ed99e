"""Audit event types of the catalogue (stable codes: never rename, only add)."""

from enum import StrEnum


class CatalogEvent(StrEnum):
    TOPIC_CREATED = "catalog.topic_created"
    TOPIC_UPDATED = "catalog.topic_updated"
    ITEM_CREATED = "catalog.item_created"  # a new draft: first version or a new version
    ITEM_UPDATED = "catalog.item_updated"  # a draft changed in place
    ITEM_PUBLISHED = "catalog.item_published"
    ITEM_SUPERSEDED = "catalog.item_superseded"
    ITEM_WITHDRAWN = "catalog.item_withdrawn"
    CATALOG_IMPORTED = "catalog.imported"
