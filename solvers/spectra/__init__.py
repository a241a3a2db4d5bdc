"""Spectra of a state: excitation operators, Lanczos continued fractions, σ(ω), O K-edge XAS (one reference energy, or long-probe by energy windows)."""
