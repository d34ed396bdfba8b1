"""Drop-in layers for users of other explanation libraries.

``interplay.compat.shapiq`` offers shapiq 1.8.0's ``ExactComputer`` and approximator classes
backed by interplay's engine (importing it needs shapiq installed; interplay itself never
depends on shapiq). ``interplay.compat.shap`` turns results into ``shap.Explanation`` objects
and offers shap's Exact explainer; ``interplay.compat.captum`` offers captum's
``ShapleyValues``, ``ShapleyValueSampling`` and ``KernelShap``. Each submodule needs its peer
installed; this package imports none of them. See docs/compat.md.
"""
