from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "xiaoneng.core"
    label = "core"

    def ready(self) -> None:
        from django.db.models import Field, ForeignObject

        from .lookups import AnyOf, RelatedAnyOf

        Field.register_lookup(AnyOf)
        ForeignObject.register_lookup(RelatedAnyOf)
