"""The window's state without Qt: what it shows, and how engine events and report snapshots change it.

Nothing in this package imports Qt (PySide6, pyqtgraph); an import-linter contract and
``tests/app/state/test_no_qt.py`` keep it so. :class:`app.session.Session` adapts
:class:`app.state.session_state.SessionState` to Qt signals, and the controller drives
:class:`app.state.run_machine.RunMachine`; both can be tested without a display.
"""
