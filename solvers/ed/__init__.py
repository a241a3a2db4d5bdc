"""Exact diagonalization: lowest eigenpairs, momentum-block scans, observables of states."""
