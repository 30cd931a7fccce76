"""The listener base: handlers found by the event's type, subclasses extend and override them."""

from typing import Any

from core import events as ev


class Recorder(ev.Listener):
    def __init__(self) -> None:
        self.seen: list[str] = []

    @ev.handles(ev.LogMessage)
    def _log(self, event: ev.LogMessage) -> None:
        self.seen.append(f"log {event.text}")

    @ev.handles(ev.RunPaused, ev.CheckpointSaved)
    def _either(self, event: Any) -> None:
        self.seen.append(type(event).__name__)


class Louder(Recorder):
    def _log(self, event: ev.LogMessage) -> None:  # an override keeps the base's registration
        self.seen.append(f"LOG {event.text}")

    @ev.handles(ev.RunFailed)
    def _failed(self, event: ev.RunFailed) -> None:
        self.seen.append(f"failed {event.error}")


class Gated(Recorder):
    def dispatch(self, handler, event) -> None:
        if not isinstance(event, ev.RunPaused):
            handler(event)


def test_each_event_goes_to_the_handler_of_its_type_others_are_ignored():
    recorder = Recorder()
    for event in (ev.LogMessage("info", "a"), ev.RunPaused(True), ev.CheckpointSaved(0, "p", False), ev.RunFailed("x", "")):
        recorder(event)
    assert recorder.seen == ["log a", "RunPaused", "CheckpointSaved"]


def test_subclasses_add_handlers_and_override_them_by_name():
    louder = Louder()
    for event in (ev.LogMessage("info", "a"), ev.RunFailed("boom", ""), ev.RunPaused(False)):
        louder(event)
    assert louder.seen == ["LOG a", "failed boom", "RunPaused"]
    assert ev.RunFailed not in Recorder._handlers  # the subclass's table is its own


def test_dispatch_wraps_every_handled_event():
    gated = Gated()
    gated(ev.RunPaused(True))
    gated(ev.LogMessage("info", "b"))
    assert gated.seen == ["log b"]


def test_a_listener_subscribes_to_the_bus_like_any_callable():
    bus = ev.EventBus()
    recorder = Recorder()
    bus.subscribe(recorder)
    bus.emit(ev.LogMessage("info", "c"))
    assert recorder.seen == ["log c"]
