"""mmseg_semivl.utils.visit_dicts: every dict of a nested config, parents first."""
from mmengine.config import Config

from mmseg_semivl.utils import visit_dicts


def test_every_dict_is_visited_once_parents_first():
    cfg = Config(dict(train_dataloader=dict(dataset=dict(type='ConcatDataset', datasets=[
        dict(type='A', pipeline=[dict(type='RandomCrop', crop_size=(8, 8)), 'not a dict']),
        dict(type='B', pipeline=(dict(type='PadToSize', size=(8, 8)), ))]))))
    seen = []
    visit_dicts(cfg.train_dataloader, lambda node: seen.append(node.get('type')))
    assert seen == [None, 'ConcatDataset', 'A', 'RandomCrop', 'B', 'PadToSize']


def test_a_visit_changes_the_config_in_place():
    cfg = Config(dict(val_dataloader=dict(dataset=dict(type='A', data_root='x', pipeline=[
        dict(type='Resize', scale=(4, 4))]))))

    def retarget(node):
        if 'data_root' in node:
            node['data_root'] = 'y'
        if node.get('type') == 'Resize':
            node['scale'] = (2, 2)

    visit_dicts(cfg.val_dataloader, retarget)
    assert cfg.val_dataloader.dataset.data_root == 'y'
    assert cfg.val_dataloader.dataset.pipeline[0].scale == (2, 2)
