"""Every config under configs/ loads and builds its model (with a tiny CLIP)."""

import json
import os

import pytest
import torch
from config_helpers import CONFIG_ROOT, LEAF_CONFIGS, load_config, tinify_model
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

from mmseg_semivl.datasets import VOC_CLASSES
from mmseg_semivl.models.decode_heads import DECODER_ABLATIONS

#: Expected model of each ablation row: (backbone finetune, head type, guidance
#: (class_definitions, aggregation) or None, decoder ablation of DECODER_ABLATIONS).
FULL_DECODER = 'VL S. + Up + Spatial + Semantic'
ABLATIONS = {
    'table6_row1_unimatch_imagenet': ('full', 'DeepLabV3PlusViTHead', None, None),
    'table6_row2_vl_pretraining': ('full', 'DeepLabV3PlusViTHead', None, None),
    'table6_row3_sft': ('spatial', 'DeepLabV3PlusViTHead', None, None),
    'table6_row4_lang_dec': ('spatial', 'LanguageGuidedHead', None, FULL_DECODER),
    'table6_row5_clip_guidance': ('spatial', 'LanguageGuidedHead', ('voc_names', 'max'),
                                  FULL_DECODER),
    'table6_row6_cls_def': ('spatial', 'LanguageGuidedHead', ('voc', 'max'), FULL_DECODER),
    'table7_row1_frozen': ('frozen', 'DeepLabV3PlusViTHead', None, None),
    'table7_row2_prompt': ('prompt', 'DeepLabV3PlusViTHead', None, None),
    'table7_row3_lora': ('lora', 'DeepLabV3PlusViTHead', None, None),
    'table7_row4_full': ('full', 'DeepLabV3PlusViTHead', None, None),
    'table7_row5_spatial': ('spatial', 'DeepLabV3PlusViTHead', None, None),
    'table8_row1_joint_reasoning': ('spatial', 'LanguageGuidedHead', None, 'Joint Reasoning'),
    'table8_row2_vl_similarity': ('spatial', 'LanguageGuidedHead', None, 'VL Similarity'),
    'table8_row3_up': ('spatial', 'LanguageGuidedHead', None, 'VL S. + Up'),
    'table8_row4_up_spatial': ('spatial', 'LanguageGuidedHead', None, 'VL S. + Up + Spatial'),
    'table8_row5_full_decoder': ('spatial', 'LanguageGuidedHead', None, FULL_DECODER),
    'table9_row1_dictionary': ('spatial', 'LanguageGuidedHead',
                               ('data/class_definitions/voc_dictionary.yaml', 'max'),
                               FULL_DECODER),
    'table9_row2_gpt_concepts': ('spatial', 'LanguageGuidedHead', ('voc_gpt', 'max'),
                                 FULL_DECODER),
    'table9_row3_class_name': ('spatial', 'LanguageGuidedHead', ('voc_names', 'max'),
                               FULL_DECODER),
    'table9_row4_guidelines_text': ('spatial', 'LanguageGuidedHead',
                                    ('voc_guidelines', 'max'), FULL_DECODER),
    'table9_row5_guidelines_avg': ('spatial', 'LanguageGuidedHead', ('voc', 'mean'),
                                   FULL_DECODER),
    'table9_row6_guidelines_max': ('spatial', 'LanguageGuidedHead', ('voc', 'max'),
                                   FULL_DECODER),
}
#: Backbone lr multipliers of the ablations (VOC, paper and reference experiments.py).
ABLATION_BACKBONE_LR = dict(full=0.001, spatial=0.01, frozen=0.01, prompt=10.0, lora=1.0)
_HEAD_SWITCHES = ('spatial_reasoning', 'semantic_reasoning', 'upsampling', 'joint_reasoning')


def _rel(path):
    return str(path.relative_to(CONFIG_ROOT))


def test_every_ablation_has_expectations():
    ablations = {p.stem for p in LEAF_CONFIGS if p.parent.name == 'ablations'}
    assert ablations == set(ABLATIONS)


@pytest.mark.parametrize('path', [p for p in LEAF_CONFIGS if p.parent.name == 'ablations'],
                         ids=lambda p: p.stem)
def test_ablation_rows(path):
    cfg = load_config(path)
    finetune, head, guidance, decoder = ABLATIONS[path.stem]
    model = cfg.model
    # MMSeg's ImageNet VisionTransformer (Table 6 row 1) always trains fully.
    assert model.backbone.get('finetune', 'full') == finetune
    assert model.decode_head.type == head
    assert (None if model.guidance is None else
            (model.guidance.class_definitions, model.guidance.aggregation)) == guidance
    if decoder is not None:
        switches = {k: v for k, v in model.decode_head.items() if k in _HEAD_SWITCHES}
        defaults = dict(spatial_reasoning=True, semantic_reasoning=True, upsampling=True,
                        joint_reasoning=False)
        assert {**defaults, **switches} == {**defaults, **DECODER_ABLATIONS[decoder]}
    backbone_lr = cfg.optim_wrapper.paramwise_cfg.custom_keys.backbone.lr_mult
    assert backbone_lr == ABLATION_BACKBONE_LR[finetune]
    # All on VOC with 92 labels.
    assert cfg.train_dataloader.dataset.datasets[0].ann_file == 'pascal/92/labeled.txt'


_built = {}


# The UDA leaves (self-training and adversarial) build full-size ImageNet / EVA02-L
# encoders: tests/test_configs/test_uda_configs.py and test_adversarial_configs.py build
# and train small versions of every encoder family of them instead.
@pytest.mark.parametrize('path', [p for p in LEAF_CONFIGS if p.parent.name != 'uda'],
                         ids=_rel)
def test_builds_tiny_model(path, tiny_clip_checkpoint, tmp_path):
    cfg = load_config(path)
    model_cfg = tinify_model(cfg, tiny_clip_checkpoint)
    names = cfg.get('classes') or VOC_CLASSES
    for node in (model_cfg.get('guidance') or {},
                 model_cfg.get('student', model_cfg).decode_head.get('text_embeddings') or {}):
        definitions = node.get('class_definitions', '')
        if str(definitions).endswith('.yaml') and not os.path.isfile(definitions):
            # A file the user writes (Table 9 row 1, the custom-dataset example): stand in
            # with the config's class names (VOC's for Table 9).
            stand_in = tmp_path / os.path.basename(definitions)
            stand_in.write_text(''.join(f'{json.dumps(n)}: [{json.dumps(n)}]\n'
                                        for n in names))
            node['class_definitions'] = str(stand_in)
    # Splits of a family share their model: build each distinct model once.
    key = repr(model_cfg.to_dict())
    if key not in _built:
        # As the Runner does: nested configs (data preprocessor, losses) resolve in mmseg.
        with DefaultScope.overwrite_default_scope(cfg.default_scope):
            _built[key] = MODELS.build(model_cfg)
    model = _built[key]
    # Teacher-student UDA configs (the DACS demo) nest the network as `student`.
    config = load_config(path).model
    num_classes = config.get('student', config).decode_head.num_classes
    net = getattr(model, 'student', model)
    assert net.decode_head.num_classes == num_classes
    if getattr(model, 'guidance', None) is not None:
        assert model.guidance.num_classes == num_classes
    trainable = sum(p.numel() for p in net.backbone.parameters() if p.requires_grad)
    finetune = getattr(net.backbone, 'finetune', 'full')  # MMSeg's ViT trains fully
    if finetune == 'frozen':
        assert trainable == 0
    else:
        assert 0 < trainable < sum(p.numel() for p in net.backbone.parameters()) or (
            finetune == 'full')
    with torch.no_grad():
        logits = net.eval()._forward(torch.zeros(1, 3, 64, 64))
    assert logits.shape == (1, num_classes, 16, 16)


def test_the_configs_clip_normalisation_is_the_codes():
    """configs/_base_/clip_normalization.py (every CLIP / EVA02 encoder base) = CLIP_MEAN/STD."""
    import os.path as osp

    from mmengine.config import Config

    from mmseg_semivl.models.backbones import CLIP_MEAN, CLIP_STD
    root = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs')
    norm = Config.fromfile(osp.join(root, '_base_', 'clip_normalization.py'))
    assert tuple(norm.clip_mean) == CLIP_MEAN and tuple(norm.clip_std) == CLIP_STD
    for leaf in ('semivl/voc_92.py', 'uda/dacs_clip-vitb16_gta2cs.py',
                 'uda/dacs_eva02-l14_gta2cs.py'):
        pre = Config.fromfile(osp.join(root, leaf)).model.data_preprocessor
        assert tuple(pre.mean) == CLIP_MEAN and tuple(pre.std) == CLIP_STD, leaf
