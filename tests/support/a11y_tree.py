#!/usr/bin/python3
"""The controls a screen reader finds in the running Casebook window, read from the real
accessibility tree (AT-SPI, as Orca reads it; WebKitGTK builds it from the page).

Prints JSON: how many controls it saw, and each one without a name (role, the text it holds,
where it sits). Run with the system Python: the GObject bindings (python3-gi,
gir1.2-atspi-2.0) are Debian packages, not pip ones.
Usage: a11y_tree.py APP_NAME_PART [ROOT_NAME_PART]
"""
import json
import sys

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi  # noqa: E402

R = Atspi.Role
CONTROLS = {
    R.PUSH_BUTTON, R.TOGGLE_BUTTON, R.CHECK_BOX, R.RADIO_BUTTON, R.COMBO_BOX, R.ENTRY,
    R.PASSWORD_TEXT, R.SPIN_BUTTON, R.SLIDER, R.LINK, R.LIST_BOX, R.MENU_ITEM,
}


def text_of(node):
    try:
        t = node.get_text_iface()
        if t is not None:
            return (t.get_text(0, min(t.get_character_count(), 60)) or "").strip()
    except Exception:
        pass
    return ""


def walk(node, path, found, depth=0):
    if depth > 80:
        return
    try:
        role = node.get_role()
        name = (node.get_name() or "").strip()
    except Exception:
        return
    here = path + [f"{node.get_role_name()}:{name[:30]}" if name else node.get_role_name()]
    if role in CONTROLS:
        found["controls"] += 1
        if not name:
            found["unnamed"].append({"role": node.get_role_name(), "text": text_of(node), "path": " > ".join(here[-4:])})
    try:
        n = node.get_child_count()
    except Exception:
        return
    for i in range(n):
        try:
            child = node.get_child_at_index(i)
        except Exception:
            continue
        if child is not None:
            walk(child, here, found, depth + 1)


def main():
    app_part = sys.argv[1].lower()
    root_part = sys.argv[2].lower() if len(sys.argv) > 2 else ""
    found = {"apps": [], "controls": 0, "unnamed": []}
    desktop = Atspi.get_desktop(0)
    for i in range(desktop.get_child_count()):
        app = desktop.get_child_at_index(i)
        if app is None:
            continue
        name = (app.get_name() or "")
        found["apps"].append(name)
        if app_part in name.lower():
            walk(app, [], found)
    if root_part:
        found["unnamed"] = [u for u in found["unnamed"] if root_part in u["path"].lower()]
    print(json.dumps(found, ensure_ascii=False))


main()
