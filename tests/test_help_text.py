"""``help(adaopt.RMSprop)`` reads well in a terminal.

The update rule is given as plain text (the typeset version is in the
theory page of the HTML docs), so pydoc shows no LaTeX, and every option
of the rule appears in it.
"""

import pydoc

import adaopt


def class_help(cls):
    return pydoc.render_doc(cls, renderer=pydoc.plaintext)


def test_rmsprop_help_has_no_latex():
    text = class_help(adaopt.RMSprop)
    head = text.split("Parameters\n")[0]
    assert "\\" not in head and ":math:" not in head and ".. math" not in head
    # nor in the descriptions of the parameters
    params = text.split("Parameters\n")[1].split("Attributes\n")[0]
    assert ":math:" not in params and "\\" not in params


def test_rmsprop_help_rule_names_every_option():
    head = class_help(adaopt.RMSprop).split("Parameters\n")[0]
    options = set(adaopt.RMSprop.hyperparameter_defaults) - {"nonfinite"}
    missing = [name for name in sorted(options) if name not in head]
    assert not missing, missing
