"""The one registration style: ``Registry.register`` by an object's ``name`` or an explicit one, checks,
and ``discover`` importing a package's modules so that a new extension is one file."""

import sys
from dataclasses import dataclass

import pytest

from core.registry import Registry, UnknownNameError, discover


@dataclass(frozen=True)
class Item:
    name: str
    size: int


def test_register_takes_the_objects_name_or_an_explicit_one():
    registry: Registry[object] = Registry("thing")

    @registry.register
    class Named:
        name = "named"

    @registry.register(name="plain-function")
    def plain() -> None: ...

    item = registry.register(Item("item", 1))
    assert registry.names() == ["item", "named", "plain-function"]
    assert registry.get("named") is Named and registry.get("plain-function") is plain and item.size == 1
    assert registry.values() == [item, Named, plain]
    with pytest.raises(ValueError, match="thing 'item' is registered twice"):
        registry.register(Item("item", 2))
    with pytest.raises(TypeError, match="has no str `name`"):
        registry.register(plain)
    with pytest.raises(UnknownNameError, match="did you mean 'item'"):
        registry.get("itme")


def test_check_refuses_before_anything_is_added():
    def positive(item: Item) -> None:
        if item.size <= 0:
            raise ValueError(f"{item.name}: size must be positive")

    registry: Registry[Item] = Registry("item", check=positive)
    registry.register(Item("a", 1))
    with pytest.raises(ValueError, match="b: size must be positive"):
        registry.register(Item("b", 0))
    assert registry.names() == ["a"]


def test_discover_imports_every_module_it_does_not_skip(tmp_path, monkeypatch):
    package = tmp_path / "plugins_for_discover"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "one.py").write_text("")
    (package / "two_decoder.py").write_text("raise ImportError('skipped modules are not imported')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import plugins_for_discover

    try:
        discover("plugins_for_discover", plugins_for_discover.__path__, skip=lambda n: n.endswith("_decoder"))
        assert "plugins_for_discover.one" in sys.modules
        assert "plugins_for_discover.two_decoder" not in sys.modules
    finally:
        for name in [m for m in sys.modules if m.startswith("plugins_for_discover")]:
            del sys.modules[name]
