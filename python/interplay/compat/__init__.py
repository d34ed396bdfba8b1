"""Drop-in layers for users of other explanation libraries.

``interplay.compat.shapiq`` offers shapiq 1.8.0's ``ExactComputer`` and approximator classes
backed by interplay's engine (importing it needs shapiq installed; interplay itself never
depends on shapiq). See docs/compat.md.
"""
