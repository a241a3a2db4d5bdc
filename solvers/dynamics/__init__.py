"""Driven dynamics: driven-operator matrices, Krylov exponentials, CFM4 evolution, trajectories."""
