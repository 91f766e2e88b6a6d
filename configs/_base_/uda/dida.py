# DIDA (Yao et al., ICCVW 2023; seed 003) = DAFormer + a labelled instance feature bank of
# K = 300 source instances (per class per image, EMA momentum 0.999, balanced slots, unit
# vectors), the instance similarity softmax(e . e_k / tp) with tp = 0.1, the instance loss
# (lambda 1.0, the paper's best) and the cross-level fusion in both directions.
# Arguments: mmseg_semivl/models/segmentors/dida.py; code vs paper: docs/deviations.md.
_base_ = ['./daformer.py']
model = dict(
    type='DIDA',
    instance_bank=dict(num_entries=300, momentum=0.999, class_slots='balanced',
                       instances='class', min_pixels=1, normalize=True),
    temperature=0.1,
    loss_instance=dict(type='InstanceSimilarityLoss', loss_weight=1.0),
    fuse_instance_to_semantic=True,
    semantic_fusion='product',  # 'smooth' (alpha-blend) keeps the confidence under 0.968
    fusion_alpha=0.5,  # used by 'smooth' only
    fuse_semantic_to_instance=True,
    instance_source_pixels=True,
    instance_weight='pseudo')
