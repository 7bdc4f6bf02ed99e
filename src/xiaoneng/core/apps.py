from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "xiaoneng.core"
    label = "core"

    def ready(self) -> None:
        from django.db.models import CharField, ForeignObject, IntegerField

        from .lookups import AnyOf, RelatedAnyOf

        # integer (ids included: AutoField is one) and text columns and foreign keys; not
        # every field: on a JSONField ``__any`` would shadow a key named "any"
        IntegerField.register_lookup(AnyOf)
        CharField.register_lookup(AnyOf)
        ForeignObject.register_lookup(RelatedAnyOf)
