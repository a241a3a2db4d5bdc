"""Write the offline intersphinx inventories in this folder (run once after editing OBJECTS).

CI reaches no documentation site, so ``docs/conf.py`` reads these small inventories instead of
downloading each project's ``objects.inv``. They list the outside objects the package's
signatures and docstrings refer to, with the address of each on its project's own site; a
reference to an object not listed stays plain text (not an error: only the package's own
references are checked). Needs ``sphobjinv`` (``python -m pip install sphobjinv``).
"""

from __future__ import annotations

from pathlib import Path

import sphobjinv as soi

HERE = Path(__file__).resolve().parent

#: project → (version, [(role, name, uri relative to the project's root; "$" = the name)])
OBJECTS: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    "python": ("3", [
        *[("class", name, "library/functions.html#$") for name in ("int", "float", "str", "bool", "dict", "list", "tuple", "complex", "bytes", "set",
                                                                    "frozenset", "object", "type", "slice", "range")],
        ("data", "None", "library/constants.html#$"),
        *[("data", f"typing.{name}", "library/typing.html#$") for name in ("Any", "Literal", "Optional", "Union", "Annotated", "TypeAlias", "Self")],
        *[("class", f"collections.abc.{name}", "library/collections.abc.html#$") for name in ("Callable", "Sequence", "Mapping", "Iterable", "Iterator",
                                                                                            "MutableMapping", "Generator", "Hashable")],
        ("class", "pathlib.Path", "library/pathlib.html#$"),
        ("class", "types.ModuleType", "library/types.html#$"),
        ("class", "logging.Logger", "library/logging.html#$"),
        ("class", "ValueError", "library/exceptions.html#$"),
        ("class", "Exception", "library/exceptions.html#$"),
        ("class", "UserWarning", "library/exceptions.html#$"),
        ("class", "RuntimeWarning", "library/exceptions.html#$"),
        ("class", "OSError", "library/exceptions.html#$"),
        ("class", "argparse.ArgumentParser", "library/argparse.html#$"),
        ("class", "contextlib.AbstractContextManager", "library/contextlib.html#$"),
        ("function", "dataclasses.dataclass", "library/dataclasses.html#$"),
    ]),
    "numpy": ("2", [
        ("class", "numpy.ndarray", "reference/generated/$.html#$"),
        ("class", "numpy.dtype", "reference/generated/$.html#$"),
        ("class", "numpy.random.Generator", "reference/random/generator.html#$"),
        ("data", "numpy.typing.ArrayLike", "reference/typing.html#$"),
        ("data", "numpy.typing.NDArray", "reference/typing.html#$"),
        ("data", "numpy.typing.DTypeLike", "reference/typing.html#$"),
        ("class", "numpy.floating", "reference/arrays.scalars.html#$"),
        ("class", "numpy.complexfloating", "reference/arrays.scalars.html#$"),
        ("class", "numpy.float64", "reference/arrays.scalars.html#$"),
        ("class", "numpy.complex128", "reference/arrays.scalars.html#$"),
        ("class", "numpy.int64", "reference/arrays.scalars.html#$"),
        ("class", "numpy.bool_", "reference/arrays.scalars.html#$"),
    ]),
    "scipy": ("1", [
        *[("class", f"scipy.sparse.{name}", "reference/generated/$.html#$") for name in ("spmatrix", "sparray", "csr_matrix", "csr_array", "csc_matrix",
                                                                                         "coo_matrix", "dia_matrix")],
        ("class", "scipy.sparse.linalg.LinearOperator", "reference/generated/$.html#$"),
        ("function", "scipy.sparse.linalg.eigsh", "reference/generated/$.html#$"),
        ("function", "scipy.sparse.linalg.expm_multiply", "reference/generated/$.html#$"),
        ("function", "scipy.integrate.solve_ivp", "reference/generated/$.html#$"),
        ("function", "scipy.optimize.least_squares", "reference/generated/$.html#$"),
        ("module", "scipy.constants", "reference/constants.html#module-$"),
    ]),
    "xarray": ("2025", [
        ("class", "xarray.Dataset", "generated/$.html#$"),
        ("class", "xarray.DataArray", "generated/$.html#$"),
        ("class", "xarray.DataTree", "generated/$.html#$"),
    ]),
    "quspin": ("1.0", [
        ("class", "quspin.basis.spinful_fermion_basis_general", "generated/$.html#$"),
        ("class", "quspin.basis.spinless_fermion_basis_general", "generated/$.html#$"),
        ("class", "quspin.basis.user_basis", "generated/$.html#$"),
        ("class", "quspin.operators.hamiltonian", "generated/$.html#$"),
        ("class", "quspin.operators.quantum_operator", "generated/$.html#$"),
    ]),
}


def main() -> None:
    for project, (version, objects) in OBJECTS.items():
        inv = soi.Inventory()
        inv.project, inv.version = project, version
        for role, name, uri in objects:
            inv.objects.append(soi.DataObjStr(name=name, domain="py", role=role, priority="1", uri=uri, dispname="-"))
        soi.writebytes(HERE / f"{project}.inv", soi.compress(inv.data_file(contract=True)))


if __name__ == "__main__":
    main()
