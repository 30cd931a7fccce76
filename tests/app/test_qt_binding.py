"""Guard against Qt binding releases that corrupt Python's reference counts (PySide6 6.12.0 on Python 3.11):
signal emission and Qt→Python slot calls must leave the refcounts of True and None unchanged."""

import subprocess
import sys

SCRIPT = """
import sys
from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
app = QCoreApplication([])
class Emitter(QObject):
    fired = Signal()
emitter = Emitter()
emitter.fired.connect(lambda: 1)
true_before, none_before = sys.getrefcount(True), sys.getrefcount(None)
for _ in range(500):
    emitter.fired.emit()
timer = QTimer()
ticks = []
timer.timeout.connect(lambda: ticks.append(1) or (app.quit() if len(ticks) >= 200 else None))
timer.start(0)
app.exec()
print(sys.getrefcount(True) - true_before, sys.getrefcount(None) - none_before)
"""


def test_signals_and_slots_keep_reference_counts():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"Qt binding crashed the interpreter: {result.stderr[-500:]}"
    true_delta, none_delta = (int(x) for x in result.stdout.split())
    assert true_delta >= 0 and none_delta >= -5, (true_delta, none_delta)
