# SemiVL with a CLIP ViT-B/16 (paper Sec. 3.2-3.6). Dataset configs set the class
# names of the decoder (`decode_head.text_embeddings.class_definitions`), the concepts
# of the dense CLIP guidance (`guidance.class_definitions`) and `num_classes`, and
# the crop size (`data_preprocessor.size`, `img_size` of both CLIPs, `test_cfg`).
clip_model = 'ViT-B-16'
clip_pretrained = 'openai'  # an open_clip tag, or a local checkpoint path

data_preprocessor = dict(
    type='SemiSegDataPreProcessor',
    # CLIP's normalisation (the reference used ImageNet's on VOC/COCO/ADE; see docs).
    mean=[122.771, 116.746, 104.094],
    std=[68.501, 66.632, 70.323],
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
        img_size=512,
        finetune='spatial',
        skip_blocks=(0, 4)),
    decode_head=dict(
        type='LanguageGuidedHead',
        num_classes=21,
        text_embeddings=dict(
            model_name=clip_model,
            pretrained=clip_pretrained,
            class_definitions='voc',
            aggregation='name'),
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0, avg_non_ignore=True)),
    # The frozen CLIP of dense CLIP guidance, with the class definitions as concepts.
    guidance=dict(
        type='DenseCLIPZeroShot',
        model_name=clip_model,
        pretrained=clip_pretrained,
        img_size=512,
        class_definitions='voc',
        aggregation='max'),
    use_consistency=True,
    use_feature_perturbation=True,
    sup_weight=0.5,
    unsup_weight=0.5,
    view_weights=(0.25, 0.25, 0.5),
    loss_consistency=dict(type='ConfidenceMaskedCrossEntropy', threshold=0.95, normalizer='valid'),
    loss_guidance=dict(type='ConfidenceMaskedCrossEntropy', threshold=0.9, normalizer='all'),
    guidance_weight=0.1,
    guidance_schedule='linear',
    guidance_temperature=100.0,
    train_cfg=dict(),
    test_cfg=dict(mode='slide', crop_size=(512, 512), stride=(426, 426)))
