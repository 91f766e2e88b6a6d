# DUDA (Rajvanshi et al. 2025, seed 002): a heavyweight pair trained with DAFormer
# self-training (../uda/daformer.py: EMA alpha 0.999, FD, ClassMix, confident-fraction
# weight) and a lightweight student distilled from it (the only network deployed). A leaf
# composes the method with a heavy base (heavy/*.py: `heavy_student` only) and a light
# student's encoder base (encoders/*.py: `student` and `data_preprocessor`) and sets
# model.heavy, model.student and model.data_preprocessor from them. The paper gives none of
# the values below: each is an interpretation (docs/deviations.md, "DUDA: interpretations").
_base_ = ['./daformer.py']
model = dict(
    _delete_=True,
    type='DUDA',
    heavy_method=dict(_base_.model, type='DUDASelfTraining'),
    pre_adapt_iters=4000,  # 10 % of the 40k schedule
    # (1) gradual distillation: hard one-hot pseudo-labels -> soft predictions over 8k its
    distillation=dict(schedule=dict(ramp_iters=8000, shape='linear', direction='hard_to_soft',
                                    final=1.0),
                      temperature=1.0, loss_weight=1.0),
    # (2) inconsistency loss: CE on disagreeing pixels, classes weighted by disagreement
    inconsistency=dict(loss_weight=1.0, momentum=0.99, gamma=1.0, eps=0.05,
                       only_disagreeing=True, initial_rate=1.0),
    # (3) multiple teachers: EMA teacher and heavy student, equal weights; extra frozen
    # teachers (e.g. a CLIP segmentor) go into extra_teachers=dict(name=dict(model=...,
    # checkpoint=..., weight=..., mean=..., std=...))
    teacher_weights=dict(ema=0.5, heavy=0.5),
    extra_teachers=None,
    light_source_loss=True,
    semi_test_cfg=dict(predict_on='student'))
