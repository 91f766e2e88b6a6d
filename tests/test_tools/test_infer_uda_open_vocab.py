"""Open vocabulary after domain adaptation (issue 21): a DACS model with the
language-guided decoder, trained on the UDA miniature (with dense CLIP guidance), segments
a new class list through tools/infer.py --classes on target-domain images."""

import copy
import os
import os.path as osp

import cv2
import pytest
import torch
from mmengine.config import Config

from mmseg_semivl.demo.uda_demo import set_data_root
from mmseg_semivl.models.backbones import TINY_CLIP_CFG
from tools import infer as infer_tool

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(REPO, 'configs', 'demo', 'dacs_scenes_uda_demo.py')


def lg_uda_config(root, work_dir, checkpoint):
    """The UDA demo (DACS, 64 px) with a tiny CLIP student + LanguageGuidedHead and guidance."""
    cfg = Config.fromfile(DEMO)
    clip = dict(model_name='semivl-tiny', model_cfg=copy.deepcopy(TINY_CLIP_CFG),
                pretrained=checkpoint)
    cfg.model.student = dict(
        type='HeadSyncedEncoderDecoder',
        backbone=dict(type='CLIPVisionTransformer', img_size=64, skip_blocks=(0, 1),
                      finetune='full', **clip),
        decode_head=dict(type='LanguageGuidedHead', in_channels=(64, 64, 64), channels=16,
                         text_channels=64, text_proj_channels=16, feedforward_channels=32,
                         aspp_dilations=(1, 2), num_heads=2, align_corners=False,
                         text_embeddings=dict(class_definitions='scenes', aggregation='mean',
                                              **clip),
                         loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0)),
        test_cfg=dict(mode='whole'))
    cfg.model.data_preprocessor.update(mean=[122.771, 116.746, 104.094],
                                       std=[68.501, 66.632, 70.323])
    cfg.model.guidance = dict(type='DenseCLIPZeroShot', img_size=64, class_definitions='scenes',
                              aggregation='max', **clip)
    cfg.model.clip_guidance = dict(weight=0.1, temperature=20.0)

    set_data_root(cfg, root, cfg.num_classes)  # the demo's 5 scene classes
    cfg.train_cfg.update(max_iters=2, val_interval=100)
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0, end=2)]
    cfg.default_hooks.checkpoint.update(interval=2)
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = str(work_dir)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    return cfg


def test_uda_trained_language_guided_model_segments_a_new_class_list(tmp_path,
                                                                      tiny_clip_checkpoint):
    from mmengine.runner import Runner

    from mmseg_semivl.demo.uda_scenes import write_uda_scene_task
    root = str(tmp_path / 'data')
    write_uda_scene_task(root, num_source=4, num_target=4, num_val=2)
    cfg = lg_uda_config(root, tmp_path / 'work', tiny_clip_checkpoint)
    runner = Runner.from_cfg(cfg)
    runner.train()
    logs = runner.message_hub.log_scalars
    assert 'train/unsup.loss_guidance' in logs and 'train/unsup.lambda_guidance' in logs
    config_path = str(tmp_path / 'lg_uda.py')
    cfg.dump(config_path)
    checkpoint = osp.join(cfg.work_dir, 'iter_2.pth')

    built = {}
    init = infer_tool.build_trained_model
    out = tmp_path / 'out'
    images = osp.join(root, 'target_val', 'images')
    try:
        infer_tool.build_trained_model = lambda *a: built.setdefault('model', init(*a))
        infer_tool.main([config_path, checkpoint, images, '--out', str(out), '--save-labels',
                         '--classes', 'water,grass,sky'])
    finally:
        infer_tool.build_trained_model = init
    model = built['model']
    assert type(model).__name__ == 'DACS'
    assert 'guidance' not in model.frozen_names  # inference builds no guidance CLIP
    assert (model.num_classes, model.decode_head.num_classes,
            model.teacher.decode_head.num_classes) == (3, 3, 3)
    # The trained decoder weights are the checkpoint's (only the vocabulary changed).
    state = torch.load(checkpoint, map_location='cpu', weights_only=False)['state_dict']
    key = 'student.decode_head.conv_seg.weight'
    torch.testing.assert_close(model.state_dict()[key].cpu(), state[key])
    for name in sorted(os.listdir(images)):
        labels = cv2.imread(str(out / 'labels' / (osp.splitext(name)[0] + '.png')),
                            cv2.IMREAD_UNCHANGED)
        assert labels.shape == (64, 64) and labels.max() < 3


@pytest.mark.parametrize('key', ['clip_guidance', 'vl_feature_distance'])
def test_inference_config_drops_the_training_only_vl_terms(key):
    from mmseg_semivl.apis.model_init import inference_config
    cfg = Config(dict(model=dict(type='DACS', guidance=dict(type='DenseCLIPZeroShot'),
                                 student=dict(backbone=dict(type='OpenCLIPEVA',
                                                            pretrained='x'),
                                              decode_head=dict()),
                                 **{key: dict()})))
    out = inference_config(cfg, checkpoint='unused.pth')
    assert 'guidance' not in out.model and key not in out.model
    assert out.model.student.backbone.pretrained is None
