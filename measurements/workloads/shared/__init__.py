"""What the model workloads (MLP, CNN, Transformer) share: the optimiser's settings and, per
framework, the training and inference steps built around a model.

Adam's hyper-parameters are pinned to the same values in both frameworks (PyTorch defaults
epsilon to 1e-8, Keras to 1e-7).
"""

LEARNING_RATE = 1e-3
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
