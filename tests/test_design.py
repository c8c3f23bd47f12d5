"""docs/design.rst held against the code: the layers, the import rules, one
place for each default, and the line counts of "how to add a method"."""

import ast
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

import adaopt
from adaopt import kernels
from adaopt._problem import METHODS
from adaopt._rmsprop import RMSPROP

#: Each method's optimizer class (named by the method's title), njit entry
#: point and scipy custom method: a missing one fails here, at import.
FRONT = {name: (getattr(adaopt, m.title), getattr(adaopt, f"{name}_njit"),
                getattr(adaopt, name))
         for name, m in METHODS.items()}

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "adaopt"
DESIGN = (ROOT / "docs" / "design.rst").read_text()

#: The layers of docs/design.rst, bottom up.
LAYERS = [
    ("foundations", {"status", "_validation", "_numba_cache", "_threading", "_borrow",
                     "_compile_notice", "_background_compile", "_workspace", "_workers"}),
    ("kernels", {"kernels", "_adam_kernels", "_adagrad_kernels", "_sgd_kernels",
                 "_adamax_kernels", "_adadelta_kernels",
                 "_radam_kernels", "_nadam_kernels"}),
    ("method descriptions", {"_method", "_rmsprop", "_adam", "_adagrad", "_sgd", "_adamax",
                             "_adadelta", "_radam", "_nadam",
                             "_learning_rate", "_plateau", "_feedback"}),
    ("optimizer objects", {"_optimizer", "_optimizers", "layout", "schedules"}),
    ("problem setup", {"_problem", "finite_differences"}),
    ("iteration", {"_iteration"}),
    ("Python loop", {"_python_loop"}),
    ("compiled loop", {"_compiled_objective", "_objective_digest", "_compiled_loop"}),
    ("front ends", {"_minimize", "_scipy_method", "_multistart", "_njit_entry",
                    "chunked"}),
    ("tools", {"startup", "bench", "method_bench", "timing", "convergence", "mgh", "problems",
               "jitted_problems",
               "demo", "__main__",
               "__init__"}),
]
LAYER_OF = {module: i for i, (_, modules) in enumerate(LAYERS) for module in modules}


def _trees():
    return {path.stem: ast.parse(path.read_text()) for path in sorted(PACKAGE.glob("*.py"))}


def _imports(tree):
    """``(module, names)`` of every ``from . import``/``from .x import`` in ``tree``."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            names = [a.name for a in node.names]
            if node.module is None:           # from . import a, b
                out += [(name, []) for name in names]
            else:
                out.append((node.module, names))
    return out


def test_every_module_has_a_layer_and_the_doc_lists_it():
    modules = set(_trees())
    assert modules == set(LAYER_OF), modules ^ set(LAYER_OF)
    for name, members in LAYERS:
        for module in members - {"__init__"}:
            assert f"``{module}``" in DESIGN, (name, module)


def test_imports_only_go_down_the_layers():
    wrong = []
    for module, tree in _trees().items():
        for target, _ in _imports(tree):
            if LAYER_OF[target] > LAYER_OF[module]:
                wrong.append(f"{module} ({LAYERS[LAYER_OF[module]][0]}) imports "
                             f"{target} ({LAYERS[LAYER_OF[target]][0]})")
    assert not wrong, wrong


def test_no_import_cycle():
    graph = {m: {t for t, _ in _imports(tree)} for m, tree in _trees().items()}
    state = {}

    def visit(m, path):
        if state.get(m) == "done":
            return
        assert state.get(m) != "open", " -> ".join(path + [m])
        state[m] = "open"
        for t in graph[m]:
            visit(t, path + [m])
        state[m] = "done"

    for m in graph:
        visit(m, [])


def test_no_private_name_crosses_a_module_and_no_sys_modules_lookup():
    crossing = []
    for module, tree in _trees().items():
        aliases = {t for t, names in _imports(tree) if not names}
        for target, names in _imports(tree):
            crossing += [f"{module}: from .{target} import {n}" for n in names
                         if n.startswith("_")]
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and node.attr.startswith("_")):
                crossing.append(f"{module}: {node.value.id}.{node.attr}")
            if (isinstance(node, ast.Attribute) and node.attr == "modules"
                    and isinstance(node.value, ast.Name) and node.value.id == "sys"):
                crossing.append(f"{module}: sys.modules")
    assert not crossing, crossing


def test_no_function_hides_a_module():
    for name in adaopt.__all__:
        obj = getattr(adaopt, name)
        assert not (PACKAGE / f"{name}.py").exists() or inspect.ismodule(obj), name
    assert adaopt.MultiStartResult.__name__ == "MultiStartResult"


def test_no_module_restates_a_hyperparameter_default():
    """Only the description gives a hyperparameter a default: no function in
    the package has a parameter of that name with a literal default."""
    names = {name for method in METHODS.values() for name in method.defaults}
    restated = []
    for module, tree in _trees().items():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.Lambda)):
                args = node.args
                positional = args.posonlyargs + args.args
                pairs = list(zip(positional[len(positional) - len(args.defaults):],
                                 args.defaults))
                pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults)
                          if d is not None]
                restated += [f"{module}:{a.arg}" for a, d in pairs
                             if a.arg in names and isinstance(d, ast.Constant)]
    # ReduceLROnPlateau's eps and threshold (and the plateau rule's, its twin
    # for minimize) are its own settings under PyTorch's names (the smallest
    # change of the rate worth making, the least improvement that counts), no
    # optimizer's eps nor RAdam's threshold
    assert sorted(restated) == ["schedules:eps", "schedules:eps", "schedules:threshold",
                                "schedules:threshold"], restated


def test_every_method_has_every_front_end():
    assert len(METHODS) == 9
    for name, (cls, njit, scipy_method) in FRONT.items():
        assert {cls.__name__, name, f"{name}_njit"} <= set(adaopt.__all__)
        assert cls.method is METHODS[name] is scipy_method.adaopt_method
        assert njit.__name__ == f"{name}_njit"


def test_every_front_end_shows_the_descriptions_defaults():
    for name, (cls, njit_entry, _) in FRONT.items():
        method = METHODS[name]
        signature = inspect.signature(cls)
        assert set(signature.parameters) == {"params", "lr_schedule", *method.defaults}
        for key, default in method.defaults.items():
            assert signature.parameters[key].default == default
        njit = inspect.signature(njit_entry)
        for key, default in method.minimize_defaults.items():
            assert njit.parameters[key].default == default
        # the class docstring states the same defaults
        stated = dict(re.findall(r"^    (\w+) : [^\n]*?, default (.+?)\s*$",
                                 cls.__doc__, re.M))
        for key, text in stated.items():
            assert key in method.defaults, (name, key)
            value = method.defaults[key]
            assert (text.strip("'") == value if isinstance(value, str)
                    else text == str(value) if isinstance(value, (bool, tuple))
                    else float(text) == value), (name, key, text, value)
        assert len(stated) >= 5, name


def _lines_of(source, first, last_exclusive):
    lines = source.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    stop = next(i for i, line in enumerate(lines) if line.startswith(last_exclusive))
    while not lines[stop - 1].strip() or lines[stop - 1].startswith("@"):
        stop -= 1          # blank lines and the next function's decorator
    return stop - start


def _class_lines(name):
    source = (PACKAGE / "_optimizers.py").read_text()
    body = source.split(f"class {name}(Optimizer):")[1].split("\n\n\nclass ")[0]
    return len(body.rstrip("\n").splitlines())


def test_how_to_add_a_method_states_the_real_line_counts():
    section = DESIGN.split("How to add a method")[1]

    def lines(path):
        return len((PACKAGE / path).read_text().splitlines())

    source = inspect.getsource(kernels)
    # each from its decorator line
    frame = _lines_of(source, "def prepared_gradient(", "def _step_block(") + 1
    kernel = _lines_of(source, "def _step_block(", "def _make_sumsq(")
    for text in (f"``_rmsprop.py``: {lines('_rmsprop.py')}",
                 f"``_adam.py``: {lines('_adam.py')}",
                 f"(``_step_block``): {kernel}",
                 f"``fused_step_loop``, ``prepared_gradient``: {frame}",
                 f"``_adam_kernels.py``: {lines('_adam_kernels.py')}",
                 f"``_sgd.py``: {lines('_sgd.py')}",
                 f"``_sgd_kernels.py``: {lines('_sgd_kernels.py')}",
                 f"``_optimizers.py``: {_class_lines('SGD')} (2 of code)",
                 f"``_optimizers.py``: {_class_lines('RMSprop')} (2 of code)",
                 f"``_optimizers.py``: {_class_lines('Adam')} and "
                 f"{_class_lines('AdamW')} (2 of code each)"):
        assert text in section, text


def test_import_adaopt_leaves_scipy_optimize_for_later():
    """scipy.optimize is three quarters of what ``import adaopt`` would cost
    (issue: import time): it is imported with the first result, warning,
    bounds or ``multistart``, and every public name is still there."""
    code = ("import sys, adaopt\n"
            "print('scipy.optimize' in sys.modules)\n"
            "names = [getattr(adaopt, name) for name in adaopt.__all__]\n"
            "print(set(adaopt.__all__) <= set(dir(adaopt)))\n"
            "print(adaopt.MultiStartResult.__mro__[1].__module__)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "True", "scipy.optimize._optimize"]
    with pytest.raises(AttributeError, match="no attribute 'nonesuch'"):
        adaopt.nonesuch
