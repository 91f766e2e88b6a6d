# What UniMatch and SemiVL share on a CLIP ViT-B/16 (paper Sec. 3.2): the segmentor
# (SemiSupervisedSegmentor: weak/strong consistency, feature perturbation, CutMix,
# sup/unsup weights 0.5, view weights 0.25 / 0.25 / 0.5, confidence 0.95), CLIP's input
# normalisation, the open_clip ViT-B/16 encoder and the 512 / 426 sliding-window
# evaluation. semivl_vit-b16.py and unimatch_vit-b16.py add the fine-tuning mode, the
# decoder and (SemiVL) the dense CLIP guidance.
_base_ = ['../clip_normalization.py']
clip_model = 'ViT-B-16'
clip_pretrained = 'openai'  # an open_clip tag, or a local checkpoint path

data_preprocessor = dict(
    type='SemiSegDataPreProcessor',
    # CLIP's normalisation (the reference used ImageNet's on VOC/COCO/ADE; see docs).
    mean=_base_.clip_mean,
    std=_base_.clip_std,
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(512, 512))  # = the training crop
model = dict(
    type='SemiSupervisedSegmentor',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='CLIPVisionTransformer',
        model_name=clip_model,
        pretrained=clip_pretrained,
        img_size=512),
    use_consistency=True,
    use_feature_perturbation=True,
    sup_weight=0.5,
    unsup_weight=0.5,
    view_weights=(0.25, 0.25, 0.5),
    loss_consistency=dict(type='ConfidenceMaskedCrossEntropy', threshold=0.95, normalizer='valid'),
    train_cfg=dict(),
    test_cfg=dict(mode='slide', crop_size=(512, 512), stride=(426, 426)))
