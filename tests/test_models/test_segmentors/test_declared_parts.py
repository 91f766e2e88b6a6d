"""Segmentors declare their parts (student, teacher, frozen models) to the benchmark."""
import torch
from mmengine.optim import OptimWrapper
from mmseg.registry import MODELS

from mmseg_semivl.analysis import (MethodCallRecorder, components, split_step, step_parts,
                                   student_passes, watch_train_step)
from mmseg_semivl.utils import flop_count_of, flop_counter

from semi_batch import make_batch
import toy_modules  # noqa: F401  (registers the toy modules)


def test_teacher_and_frozen_models_are_parts_of_their_own():
    """A teacher's forward is its own part (not 'other'); FLOPs checked by hand."""
    size, num_unlabeled, num_labeled = 16, 2, 2
    model = MODELS.build(dict(
        type='TeacherStudentSegmentor', teacher='ema', mixer=None,
        student=toy_modules.toy_student(),
        frozen_models=dict(reference=dict(type='ToyFrozen')),
        data_preprocessor=dict(type='SemiSegDataPreProcessor')))
    assert step_parts(model) == ('data_preprocessor', 'reference', 'teacher', 'labeled_forward',
                                 'strong_forward', 'backward', 'optimizer_step', 'other')
    assert components(model) == ('encoder_forward', 'decoder_forward', 'reference_forward',
                                 'teacher_forward', 'backward')
    inputs, samples = make_batch(num_labeled=num_labeled, num_unlabeled=num_unlabeled,
                                 num_classes=3, size=size, pad=4)
    optim_wrapper = OptimWrapper(torch.optim.SGD(model.student.parameters(), lr=0.1))
    with flop_counter() as counter:
        recorder = watch_train_step(MethodCallRecorder(flop_counter=counter), model,
                                    optim_wrapper)
        with recorder:
            model.loss(inputs, samples)
    parts = split_step(recorder.records, flop_count_of(counter).total, 'flops',
                       step_parts(model), student_passes(model))
    # Toy network: 1x1 convs 3 -> 4 -> 3, i.e. 2 x (12 + 12) FLOPs per pixel.
    per_image = 2 * (3 * 4 + 4 * 3) * size * size
    assert parts['teacher'] == num_unlabeled * per_image
    assert parts['labeled_forward'] == num_labeled * per_image
    assert parts['strong_forward'] == 2 * num_unlabeled * per_image
    assert parts['reference'] == 0  # declared, not called by the generic step


def test_semivl_declares_the_parts_of_the_documented_benchmark(model_cfg):
    from mmseg_semivl.analysis import COMPONENTS, STEP_PARTS
    from semi_batch import build
    model = build(model_cfg)
    assert step_parts(model) == STEP_PARTS and components(model) == COMPONENTS
    unimatch = build(model_cfg, guidance=None)
    assert 'guidance' not in step_parts(unimatch)
