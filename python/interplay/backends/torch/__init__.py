"""Torch tier: kernels that run on the tensor's own device (never chosen by ``backend="auto"``)."""
