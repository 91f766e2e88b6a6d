# Former name of voc_semi.py, kept for configs/demo/semivl_tiny_demo.py: the Pascal VOC
# two-stream data pipeline that the demo re-targets at its own images.
_base_ = ['./voc_semi.py']
