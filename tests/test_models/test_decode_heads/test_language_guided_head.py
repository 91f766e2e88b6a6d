import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from mmseg_semivl.models.decode_heads import DECODER_ABLATIONS, LanguageGuidedHead

# Tiny decoder: same topology as the default, narrow widths.
TINY = dict(
    type='LanguageGuidedHead', in_channels=(24, 24, 32), text_channels=32, channels=16,
    text_proj_channels=16, num_heads=2, feedforward_channels=32, skip_channels=(4, 8),
    up_channels=(16, 8), gn_channels_per_group=4)
SKIP, DENSE = 24, 32


def make_inputs(batch=2, size=8, skip_channels=SKIP, dense_channels=DENSE, grad=False):
    """Random stand-ins for (skip_0, skip_1, dense) of the backbone, dense at 1/16."""
    skips = [torch.randn(batch, skip_channels, size, size, requires_grad=grad) for _ in range(2)]
    dense = F.normalize(torch.randn(batch, dense_channels, size, size), dim=1)
    dense.requires_grad_(grad)
    return (*skips, dense)


def text(num_classes, channels=DENSE):
    return F.normalize(torch.randn(num_classes, channels), dim=-1)


def build(num_classes=5, **overrides):
    torch.manual_seed(0)
    head = MODELS.build(dict(TINY, num_classes=num_classes, **overrides))
    head.set_text_embeddings(text(num_classes))
    return head


def count(module):
    return sum(p.numel() for p in module.parameters())


def test_default_parameter_count():
    head = LanguageGuidedHead(num_classes=21)
    # Hand count of the paper's decoder (d=128, text 512 -> 128, skips 16/32).
    assert count(head.spatial_reasoning) == 6_400 + 558_592  # 7x7 conv + residual ASPP
    assert count(head.semantic_reasoning) == 65_664 + 2 * 527_104  # text proj + 2 blocks
    assert count(head.skip_projs) == 110_608 + 221_216  # 768->16, 768->32 (3x3)
    assert count(head.up_blocks) == 160_096 + 40_112
    assert count(head.conv_seg) == 289
    assert count(head) == 2_217_185
    assert abs(count(head) - 2.22e6) / 2.22e6 < 0.02
    # Shared across classes: the count does not depend on N.
    assert count(LanguageGuidedHead(num_classes=150)) == 2_217_185


def test_default_head_forward_shape():
    torch.manual_seed(0)
    head = LanguageGuidedHead(num_classes=21)
    head.set_text_embeddings(text(21, 512))
    out = head(make_inputs(batch=1, size=4, skip_channels=768, dense_channels=512))
    assert out.shape == (1, 21, 16, 16)  # input 64 px -> H/4


@pytest.mark.parametrize('num_classes,batch,size', [(1, 2, 8), (21, 2, 8), (150, 1, 4)])
def test_output_shape(num_classes, batch, size):
    head = build(num_classes)
    out = head(make_inputs(batch, size))
    assert out.shape == (batch, num_classes, 4 * size, 4 * size)
    assert head.num_classes == head.out_channels == num_classes


def test_gradients_reach_inputs_and_parameters():
    head = build(4)
    inputs = make_inputs(grad=True)
    head(inputs).square().mean().backward()
    for x in inputs:
        assert x.grad is not None and x.grad.abs().sum() > 0
    for name, param in head.named_parameters():
        assert param.grad is not None, name


def test_classes_are_permutation_equivariant():
    # Spatial/up-sampling weights are shared across classes and class attention
    # has no positional encoding: permuting the vocabulary permutes the logits.
    head = build(5).eval()
    inputs = make_inputs()
    perm = torch.tensor([3, 0, 4, 1, 2])
    out = head(inputs)
    head.set_text_embeddings(head.text_embeddings[perm])
    assert torch.allclose(head(inputs), out[:, perm], atol=1e-5)


def test_without_semantic_reasoning_classes_are_independent():
    head = build(3, **DECODER_ABLATIONS['VL S. + Up + Spatial']).eval()
    inputs = make_inputs()
    out = head(inputs)
    emb = head.text_embeddings.clone()
    emb[0] = text(1)[0]
    head.set_text_embeddings(emb)
    changed = head(inputs)
    assert not torch.allclose(changed[:, 0], out[:, 0])
    assert torch.allclose(changed[:, 1:], out[:, 1:], atol=1e-6)


@pytest.mark.parametrize('row', list(DECODER_ABLATIONS))
def test_ablation_variants_forward_backward(row):
    head = build(3, **DECODER_ABLATIONS[row])
    inputs = make_inputs(grad=True)
    out = head(inputs, num_perturbed=1)
    assert out.shape == (3, 3, 32, 32)
    out.mean().backward()
    assert inputs[-1].grad.abs().sum() > 0
    assert all(p.grad is not None for p in head.parameters())


def test_ablation_structure():
    full = build(3)
    joint = build(3, **DECODER_ABLATIONS['Joint Reasoning'])
    # Joint: 7x7 conv N -> N*d (+bias) instead of 1 -> d, ASPP on N*d channels.
    assert joint.spatial_reasoning.embed.weight.shape == (48, 3, 7, 7)
    assert count(joint) > count(full)
    with pytest.raises(ValueError, match='joint_reasoning fixes N=3'):
        joint.set_text_embeddings(text(4))
    similarity_only = build(3, **DECODER_ABLATIONS['VL Similarity'])
    # 1x1 conv 1 -> 16, no semantic reasoning, no up-blocks, 3x3 logit conv 16 -> 1.
    assert similarity_only.semantic_reasoning is None
    assert len(similarity_only.up_blocks) == len(similarity_only.skip_projs) == 0
    assert count(similarity_only) == (16 + 16) + (16 * 9 + 1)
    with pytest.raises(ValueError, match='joint_reasoning replaces'):
        build(3, joint_reasoning=True, spatial_reasoning=False)


def test_feature_perturbation():
    head = build(4).eval()  # GroupNorm only: eval changes nothing but dropout
    inputs = make_inputs(batch=3)
    clean = head(inputs)
    torch.manual_seed(1)
    out = head(inputs, num_perturbed=2)
    assert out.shape == (5, 4, 32, 32)
    # Clean part unchanged; perturbed part differs from the clean prediction.
    assert torch.allclose(out[:3], clean, atol=1e-5)
    assert not torch.allclose(out[3:], clean[1:], atol=1e-3)
    torch.manual_seed(1)
    assert torch.equal(head(inputs, num_perturbed=2), out)
    # p = 0 turns the perturbation into an identical copy.
    head.fp_dropout = 0.
    assert torch.allclose(head(inputs, num_perturbed=2)[3:], clean[1:], atol=1e-5)
    with pytest.raises(ValueError, match='num_perturbed=4'):
        head(inputs, num_perturbed=4)


@pytest.mark.parametrize('with_cp', [False, True])
def test_class_chunks_match_unchunked(with_cp):
    head = build(5)
    inputs = make_inputs(grad=True)
    full = head(inputs)
    full.sum().backward()
    grads = [p.grad.clone() for p in head.parameters()]
    skip_grad = inputs[0].grad.clone()
    head.zero_grad()
    inputs[0].grad = None
    head.class_chunk_size, head.with_cp = 2, with_cp
    chunked = head(inputs)
    chunked.sum().backward()
    assert torch.allclose(chunked, full, atol=1e-5)
    assert torch.allclose(inputs[0].grad, skip_grad, atol=1e-5)
    for grad, param in zip(grads, head.parameters()):
        assert torch.allclose(param.grad, grad, atol=1e-4)


def test_autocast_bf16_is_finite():
    head = build(3)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = head(make_inputs(), num_perturbed=1)
    assert out.shape == (3, 3, 32, 32)
    assert torch.isfinite(out.float()).all()


def test_similarity_is_cosine_in_fp32():
    head = build(2)
    dense = torch.randn(1, DENSE, 2, 2) * 5  # not normalised: the head normalises
    with torch.autocast('cpu', dtype=torch.bfloat16):
        sim = head._similarity(dense)
    assert sim.dtype == torch.float32
    expected = F.cosine_similarity(
        dense[0, :, 1, 0][None], head.text_embeddings[1][None]).item()
    assert sim[0, 1, 1, 0].item() == pytest.approx(expected, abs=1e-6)


def test_set_text_embeddings_changes_vocabulary():
    head = build(5)
    head.set_text_embeddings(text(7))
    assert head.num_classes == head.out_channels == 7
    assert head.text_embeddings.shape == (7, DENSE)
    assert head(make_inputs()).shape[1] == 7
    with pytest.raises(ValueError, match=r'\(N, 32\)'):
        head.set_text_embeddings(torch.randn(7, 16))


def test_text_embeddings_follow_checkpoints():
    trained = build(6)
    state = trained.state_dict()
    assert state['text_embeddings'].shape == (6, DENSE)
    fresh = MODELS.build(dict(TINY, num_classes=2))
    with pytest.raises(RuntimeError, match='no text embeddings'):
        fresh(make_inputs())
    fresh.load_state_dict(state)
    assert fresh.num_classes == 6
    inputs = make_inputs()
    assert torch.allclose(fresh.eval()(inputs), trained.eval()(inputs))


def test_text_embedding_config_needs_one_embedding_per_class():
    with pytest.raises(ValueError, match="aggregation='max'"):
        MODELS.build(dict(TINY, text_embeddings=dict(class_definitions='voc', aggregation='max')))
    with pytest.raises(ValueError, match='num_classes >= 1'):
        MODELS.build(TINY)


def test_text_embedding_config_builds_buffer(tmp_path):
    text_mod = pytest.importorskip('mmseg_semivl.models.text')
    backbones = pytest.importorskip('mmseg_semivl.models.backbones')
    if not hasattr(text_mod, 'build_text_embeddings') or not hasattr(backbones, 'TINY_CLIP_CFG'):
        pytest.skip('text embeddings (part A) not available yet')
    cfg = backbones.TINY_CLIP_CFG
    head = MODELS.build(dict(
        TINY, in_channels=(24, 24, cfg['embed_dim']), text_channels=cfg['embed_dim'],
        text_embeddings=dict(model_name='ViT-B-16', pretrained=None, class_definitions='voc',
                             aggregation='name', model_cfg=cfg, cache_dir=str(tmp_path))))
    assert head.num_classes == 21
    assert head.text_embeddings.shape == (21, cfg['embed_dim'])
    assert torch.allclose(head.text_embeddings.norm(dim=-1), torch.ones(21), atol=1e-5)


def test_mmseg_loss_and_predict():
    head = build(4)
    inputs = make_inputs()
    samples = []
    for _ in range(2):
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 4, (1, 128, 128)))
        sample.set_metainfo(dict(img_shape=(128, 128), pad_shape=(128, 128)))
        samples.append(sample)
    losses = head.loss(inputs, samples, train_cfg=dict())
    assert losses['loss_ce'].ndim == 0 and losses['loss_ce'] > 0
    losses['loss_ce'].backward()
    logits = head.predict(inputs, [s.metainfo for s in samples], test_cfg=dict())
    assert logits.shape == (2, 4, 128, 128)


def channels_last_pair(**overrides):
    """(NCHW head, channels_last head) with identical weights."""
    ref = build(4, **overrides)
    head = build(4, channels_last=True, **overrides)
    head.load_state_dict(ref.state_dict())
    return ref, head


def is_channels_last(x):
    return x.is_contiguous(memory_format=torch.channels_last)


def forward_backward(head, inputs):
    for x in inputs:
        x.grad = None
    torch.manual_seed(1)  # same feature-perturbation masks for both heads
    out = head(inputs, num_perturbed=1)
    out.square().mean().backward()
    return out, [x.grad for x in inputs]


@pytest.mark.parametrize('overrides', [
    dict(), dict(class_chunk_size=2, with_cp=True), DECODER_ABLATIONS['Joint Reasoning']],
    ids=['default', 'chunks+cp', 'joint'])
def test_channels_last_matches_nchw(overrides):
    ref, head = channels_last_pair(**overrides)
    inputs = make_inputs(grad=True)
    out_ref, input_grads_ref = forward_backward(ref, inputs)
    out, input_grads = forward_backward(head, inputs)
    # A plain NCHW tensor of the usual shape, whatever the internal layout.
    assert out.shape == out_ref.shape == (3, 4, 32, 32)
    assert out.is_contiguous()
    assert torch.allclose(out, out_ref, atol=1e-5)
    for grad, grad_ref in zip(input_grads, input_grads_ref):
        assert torch.allclose(grad, grad_ref, atol=1e-5)
    for (name, param), param_ref in zip(head.named_parameters(), ref.parameters()):
        assert torch.allclose(param.grad, param_ref.grad, atol=1e-5), name


@pytest.mark.parametrize('channels_last', [False, True])
def test_channels_last_reaches_the_conv_stacks(channels_last):
    head = build(4, channels_last=channels_last)
    # A multi-channel conv input of each stack (1 channel or a 1x1 kernel fit
    # both layouts): skip projection, spatial reasoning (after the 1-channel
    # 7x7 embedding) and up-sampling.
    convs = {
        'skip_proj': head.skip_projs[0].conv,
        'spatial': head.spatial_reasoning.aspp.aspp_modules[1].conv,
        'upsample': head.up_blocks[0].up,
    }
    seen = {}

    def record(name):
        def hook(module, args):
            seen.setdefault(name, []).append(is_channels_last(args[0]))
        return hook

    for name, conv in convs.items():
        conv.register_forward_pre_hook(record(name))
        assert is_channels_last(conv.weight) == channels_last
    head(make_inputs())
    assert seen == {name: [channels_last] for name in convs}


def test_channels_last_state_dict_round_trip():
    ref, head = channels_last_pair()
    # Same keys and values: checkpoints are interchangeable.
    state, state_ref = head.state_dict(), ref.state_dict()
    assert state.keys() == state_ref.keys()
    assert all(torch.equal(state[key], state_ref[key]) for key in state)
    # channels_last -> NCHW and NCHW -> channels_last, strict.
    trained = build(4, channels_last=True)
    fresh_ref = MODELS.build(dict(TINY, num_classes=2))
    fresh_ref.load_state_dict(trained.state_dict())
    fresh = MODELS.build(dict(TINY, num_classes=2, channels_last=True))
    fresh.load_state_dict(fresh_ref.state_dict())
    inputs = make_inputs()
    out = trained.eval()(inputs)
    assert torch.allclose(fresh_ref.eval()(inputs), out, atol=1e-5)
    assert torch.allclose(fresh.eval()(inputs), out, atol=1e-5)
    # Loading and .to() keep the layout of each head's weights.
    fresh.to(torch.float64)
    for head_, expected in ((fresh, True), (fresh_ref, False)):
        # 1x1 kernels and single input channels fit both layouts: skip those.
        weights = [m.weight for m in head_.modules()
                   if isinstance(m, nn.Conv2d) and m.weight[0].numel() > m.in_channels > 1]
        assert weights and all(is_channels_last(w) == expected for w in weights)


def test_autocast_group_norms_are_a_drop_in():
    from mmseg_semivl.models.utils import AutocastGroupNorm
    plain = build()
    lean = build(gn_type='AutocastGN')
    norms = [m for m in lean.modules() if isinstance(m, nn.GroupNorm)]
    assert len(norms) > 5 and all(isinstance(m, AutocastGroupNorm) for m in norms)
    lean.load_state_dict(plain.state_dict())  # same keys, checkpoints interchangeable
    plain.eval(), lean.eval()
    inputs = make_inputs()
    assert torch.allclose(lean(inputs), plain(inputs), atol=1e-6)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = lean(inputs)
    assert torch.isfinite(out).all()
    assert (out.float() - plain(inputs)).abs().max() < 0.1 * plain(inputs).abs().max()


def test_unknown_gn_type_is_named():
    with pytest.raises(ValueError, match="gn_type='BN'"):
        build(gn_type='BN')
