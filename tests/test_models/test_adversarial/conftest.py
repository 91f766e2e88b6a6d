"""Adversarial tests resolve nested configs in the mmseg scope, as MMEngine's Runner does."""
import pytest
from mmengine.logging import MessageHub
from mmengine.registry import DefaultScope


@pytest.fixture(autouse=True)
def mmseg_scope():
    with DefaultScope.overwrite_default_scope('mmseg'):
        yield


@pytest.fixture
def hub():
    hub = MessageHub.get_instance('adversarial-test')
    hub.runtime_info.clear()
    return MessageHub.get_current_instance()
