"""The explicit subscription registry between apps (STYLE.md, "Events between apps").

A higher app subscribes a handler to event types in its ``AppConfig.ready``::

    audit_registry.subscribe("cases.case_accepted", name="supervision.on_case_accepted")(fn)

Handlers receive the :class:`~xiaoneng.audit.models.AuditEvent` after the writing
transaction commits. A handler must be idempotent: the redelivery sweep
(``services.audit_redeliver``) calls it again for any event it has no delivery row for.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import AuditEvent

Handler = Callable[["AuditEvent"], None]


@dataclass(frozen=True)
class Subscription:
    name: str
    action: str
    handler: Handler
    #: Slow work (rendering a PDF…): with a Celery broker configured it runs on a worker
    #: (task ``audit_deliver``) instead of in the request that committed the event; in the
    #: embedded default (eager tasks) it still runs right after the commit.
    background: bool = False


class Registry:
    def __init__(self) -> None:
        self._by_action: dict[str, list[Subscription]] = defaultdict(list)
        self._names: set[str] = set()

    def subscribe(
        self, *actions: str, name: str, background: bool = False
    ) -> Callable[[Handler], Handler]:
        if name in self._names:
            raise ValueError(f"subscriber {name!r} is already registered")

        def decorator(handler: Handler) -> Handler:
            self._names.add(name)
            for action in actions:
                self._by_action[action].append(
                    Subscription(name, action, handler, background=background)
                )
            return handler

        return decorator

    def unsubscribe(self, name: str) -> None:
        self._names.discard(name)
        for action, subs in list(self._by_action.items()):
            self._by_action[action] = [s for s in subs if s.name != name]

    def remove(self, which: Callable[[Subscription], bool]) -> list[Subscription]:
        """Take out every subscriber one of whose subscriptions ``which`` picks (with all
        its actions); their subscriptions, for :meth:`restore`. For tests and benchmarks
        that measure an app's own work."""
        subs = [s for action_subs in self._by_action.values() for s in action_subs]
        names = {s.name for s in subs if which(s)}
        for name in names:
            self.unsubscribe(name)
        return [s for s in subs if s.name in names]

    def restore(self, subscriptions: list[Subscription]) -> None:
        """Put back what :meth:`remove` took out."""
        for sub in subscriptions:
            self._names.add(sub.name)
            self._by_action[sub.action].append(sub)

    def subscriptions_for(self, action: str) -> list[Subscription]:
        return list(self._by_action.get(action, ()))

    def subscription(self, action: str, name: str) -> Subscription | None:
        return next((s for s in self._by_action.get(action, ()) if s.name == name), None)

    def actions(self) -> set[str]:
        return {a for a, subs in self._by_action.items() if subs}


audit_registry = Registry()
