"""NumPy reference tier: one module per kernel family (transforms, exact, sampling, permutation,
pid, fidelity), each function named as its kernel. Every other tier is tested against these."""
