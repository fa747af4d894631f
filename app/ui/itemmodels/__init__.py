"""Qt item models over plain frozen dataclasses; columns are described by data."""

from app.ui.itemmodels.dataclass_table import ROW_ROLE, Column, DataclassTableModel

__all__ = ["ROW_ROLE", "Column", "DataclassTableModel"]
