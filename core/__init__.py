"""ModaLens engine: data, models, training strategies, valuation, MI estimators, reports, command line."""

__version__ = "0.1.0"
