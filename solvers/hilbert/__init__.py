"""Hilbert spaces: sectors and symmetry blocks, QuSpin bases, block matrices, memory estimates."""
