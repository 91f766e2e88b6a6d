# SemiVL with a CLIP ViT-B/16 (paper Sec. 3.2-3.6). Dataset configs set the class
# names of the decoder (`decode_head.text_embeddings.class_definitions`), the concepts
# of the dense CLIP guidance (`guidance.class_definitions`) and `num_classes`.
clip_model = 'ViT-B-16'
clip_pretrained = 'openai'  # an open_clip tag, or a local checkpoint path
crop_size = (512, 512)

data_preprocessor = dict(
    type='SemiSegDataPreProcessor',
    # CLIP's normalisation (the reference used ImageNet's on VOC/COCO/ADE; see docs).
    mean=[122.771, 116.746, 104.094],
    std=[68.501, 66.632, 70.323],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=crop_size)
model = dict(
    type='SemiSupervisedSegmentor',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='CLIPVisionTransformer',
        model_name=clip_model,
        pretrained=clip_pretrained,
        img_size=crop_size[0],
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
    guidance=dict(
        type='DenseCLIPZeroShot',
        backbone=dict(
            type='CLIPVisionTransformer',
            model_name=clip_model,
            pretrained=clip_pretrained,
            img_size=crop_size[0],
            finetune='frozen'),
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
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(426, 426)))
