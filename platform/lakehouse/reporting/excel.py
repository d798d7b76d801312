"""The Excel workbook: an `about` sheet, then one sheet per section (its table, raw numbers, and its chart)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from lakehouse.reporting.views import SectionView, is_percent

HEADER_FIRST_CELL = "series"  # the table of a section sheet starts at the row whose first cell is this


def _cell(value: Any) -> Any:
    """Excel cells: numbers stay numbers (so totals can be recomputed), NaN becomes an empty cell."""
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


def write_workbook(path: Path, views: list[SectionView], about: list[tuple[str, str]], charts: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "about"
    for key, value in about:
        sheet.append([key, value])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = 24, 80

    for view in views:
        sheet = book.create_sheet(view.name)
        sheet.append([view.title])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append([view.description])
        sheet.append([view.note or ""])
        sheet.append([])
        columns = list(view.table.columns)
        sheet.append(columns)
        header = sheet.max_row
        for cell in sheet[header]:
            cell.font = Font(bold=True)
        for record in view.table.itertuples(index=False):
            sheet.append([_cell(v) for v in record])
        for index, name in enumerate(columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = max(12, min(28, len(str(name)) + 2))
            if is_percent(name):
                for row in range(header + 1, sheet.max_row + 1):
                    sheet[f"{letter}{row}"].number_format = "0.00%"
        sheet.freeze_panes = sheet.cell(header + 1, 1)
        png = charts / f"{view.name}.png"
        image = Image(str(png))
        image.width, image.height = image.width * 0.75, image.height * 0.75
        sheet.add_image(image, f"{get_column_letter(len(columns) + 2)}1")
    book.save(path)
