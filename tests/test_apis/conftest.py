"""Fixtures for the inference helpers: a tiny checkpoint and two real photos."""

from pathlib import Path
from typing import Dict

import pytest
from mmengine.config import Config

from tiny_semivl import save_untrained_checkpoint, tiny_demo_cfg, write_photos


@pytest.fixture(scope='session')
def demo_cfg(demo_config, tiny_clip_checkpoint) -> Config:
    return tiny_demo_cfg(demo_config, tiny_clip_checkpoint)


@pytest.fixture(scope='session')
def tiny_semivl_checkpoint(tmp_path_factory, demo_cfg) -> str:
    return save_untrained_checkpoint(demo_cfg, tmp_path_factory.mktemp('semivl') / 'tiny.pth')


@pytest.fixture(scope='session')
def photos(tmp_path_factory) -> Dict[str, Path]:
    return write_photos(tmp_path_factory.mktemp('photos'))
