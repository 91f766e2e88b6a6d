# r101.py with AdaptSegNet's / ADVENT's second output level: a DeepLabV2 classifier on
# stage 3 (aux, 1024 channels, loss x 0.1) next to the main one on stage 4. Dilations
# (6, 12) as the DAFormer-family code (ADVENT's own: (6, 12, 18, 24)).
_base_ = ['./r101.py']
student = dict(
    auxiliary_head=dict(type='DLV2Head', in_channels=1024, in_index=2, dilations=(6, 12),
                        num_classes=19, align_corners=False,
                        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                         loss_weight=0.1)))
