# DAFormer's 40k schedule (uda_40k.py) under bf16 autocast (AMP; needs a GPU), with the
# non-finite skip of the fp32 wrapper. DUDA's memory budget (docs/performance.md, "DUDA").
_base_ = ['./uda_40k.py']
optim_wrapper = dict(type='NonFiniteSkipAmpOptimWrapper', dtype='bfloat16')
