"""The data views docked in the main window: sample browser, dataset plot, player, contributions."""
