"""One list of modules imported in the GUI thread before worker threads need them (app.preimport)."""

import json
import subprocess
import sys

from app.preimport import GUI_THREAD_IMPORTS

PROBE = (
    "import json, sys\n"
    "from app.preimport import GUI_THREAD_IMPORTS, import_in_gui_thread\n"
    "import_in_gui_thread(models={models})\n"
    "print(json.dumps(sorted(m for m, _ in GUI_THREAD_IMPORTS if m not in sys.modules)))\n"
)


def _left_out(models: bool) -> list[str]:
    code = PROBE.format(models=models)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_task_imports_the_light_modules_and_a_run_all_of_them():
    model_only = sorted(module for module, only in GUI_THREAD_IMPORTS if only)
    assert model_only and _left_out(models=False) == model_only
    assert _left_out(models=True) == []
