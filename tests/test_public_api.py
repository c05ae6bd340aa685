"""The design's contract names resolve from the package and are the very objects their modules define."""

from importlib import import_module

import pytest

import deeplab_core


@pytest.mark.parametrize("name", deeplab_core.__all__)
def test_contract_name_resolves_to_its_module_object(name):
    module = import_module(deeplab_core._PUBLIC[name])
    assert getattr(deeplab_core, name) is getattr(module, name)


def test_unknown_names_are_an_attribute_error():
    with pytest.raises(AttributeError):
        deeplab_core.no_such_thing  # noqa: B018
