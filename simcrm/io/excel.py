"""``summary.xlsx``: the option × world summary for spreadsheet users.

One sheet per world, one row per option; headers name each statistic with its unit
(from :mod:`simcrm.spec.outputs`), numbers carry an Excel number format (so Excel shows
them in the reader's own locale: ``1.234,5`` in Dutch Excel), probabilities as
percentages.  English or Dutch headers.
"""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from simcrm.analysis.summary import summary_table
from simcrm.spec import outputs

_WORDS = {
    "en": {"option": "Option", "label": "Option (label)", "investable": "Investable",
           "deadline_year": "Deadline year", "readme": "About"},
    "nl": {"option": "Optie", "label": "Optie (naam)", "investable": "Investeerbaar",
           "deadline_year": "Deadlinejaar", "readme": "Toelichting"},
}
_ABOUT = {
    "en": ["simcrm summary: one sheet per world, one row per policy option.",
           "Money in million euro (MEUR), real terms of the scenario's price year.",
           "Probabilities as percentages; *_se columns are Monte Carlo standard errors.",
           "The same numbers as summary.csv (which has the column codes)."],
    "nl": ["simcrm-samenvatting: één blad per wereld, één rij per beleidsoptie.",
           "Geld in miljoen euro (MEUR), reëel, in prijzen van het prijsjaar van het scenario.",
           "Kansen als percentage; kolommen *_se zijn Monte-Carlo-standaardfouten.",
           "Dezelfde getallen als summary.csv (met de kolomcodes)."],
}


def _header(col: str, lang: str) -> tuple[str, str]:
    """(header text, Excel number format) of a summary.csv column."""
    se = col.endswith("_se")
    base = col.removesuffix("_se")
    try:
        out = outputs.get(base)
    except KeyError:
        return _WORDS[lang].get(col, col), "General"
    label = out.label_nl if lang == "nl" else out.label_en
    unit = out.unit
    if se:
        label += " (st. fout)" if lang == "nl" else " (std. error)"
    if unit == "1" and (base.startswith(("p_", "d_p_")) or base.endswith("_share")):
        return f"{label} [%]", "0.0%"
    if unit in ("", "1"):
        return label, "0.000"
    fmt = "0" if unit == "year" else "#,##0.0"
    return f"{label} [{unit}]", fmt


def write_summary_xlsx(summary: xr.Dataset, path: str | Path, lang: str | None = "en") -> Path:
    """Write the summary as an Excel workbook: the rows of ``summary.csv``, a sheet per world.

    Parameters
    ----------
    summary : xarray.Dataset
        :func:`simcrm.analysis.summary.summarise` of a run (option × world).
    path : str or Path
        The ``.xlsx`` file to write.
    lang : {"en", "nl"}
        Language of the headers and option labels (default English).

    Returns
    -------
    Path
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    lang = lang if lang in _WORDS else "en"
    table = summary_table(summary)
    if "state_aid_reason_nl" in table:  # one verdict column, in the workbook's language
        if lang == "nl":
            table["state_aid_reason"] = table["state_aid_reason_nl"]
        table = table.drop(columns="state_aid_reason_nl")
    lab = f"option_label_{lang}"
    labels = ({str(o): str(v) for o, v in zip(summary["option"].values, summary[lab].values)}
              if lab in summary.coords else {})
    path = Path(path)
    wb = Workbook()
    about = wb.active
    about.title = _WORDS[lang]["readme"]
    for i, line in enumerate(_ABOUT[lang], start=1):
        about.cell(row=i, column=1, value=line)
    about.column_dimensions["A"].width = 90
    cols = [c for c in table.columns if c not in ("option", "world")]
    heads = [_header(c, lang) for c in cols]
    for world, sub in table.groupby("world", sort=False):
        ws = wb.create_sheet(str(world)[:31])
        names = [_WORDS[lang]["option"], _WORDS[lang]["label"]] + [h for h, _ in heads]
        for j, h in enumerate(names, start=1):
            c = ws.cell(row=1, column=j, value=h)
            c.font = Font(bold=True)
            c.alignment = Alignment(wrap_text=True, vertical="top")
        for i, (_, row) in enumerate(sub.iterrows(), start=2):
            ws.cell(row=i, column=1, value=str(row["option"]))
            ws.cell(row=i, column=2, value=labels.get(str(row["option"]), ""))
            for j, (c, (_, fmt)) in enumerate(zip(cols, heads), start=3):
                v = row[c]
                v = v.item() if hasattr(v, "item") else v
                if isinstance(v, float) and v != v:
                    v = None  # NaN: an empty cell
                cell = ws.cell(row=i, column=j, value=v)
                cell.number_format = fmt
        ws.freeze_panes = "C2"
        ws.row_dimensions[1].height = 60
        for j in range(1, len(names) + 1):
            ws.column_dimensions[get_column_letter(j)].width = 26 if j <= 2 else 14
    wb.save(path)
    return path
