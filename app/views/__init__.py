"""The window's views: the sample browser in the middle and the docked views listed in ``registry.VIEWS``."""
