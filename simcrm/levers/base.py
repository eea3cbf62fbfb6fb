"""The lever protocol: what a policy lever declares and the hooks the model calls.

A lever is one policy instrument (a TOML table ``[options.NAME.LEVER]``).  It
declares its settings as registry rows (:class:`simcrm.spec.registry.Param`), its
labels, where it acts, its plant cash-flow line and its government flow, and its
validation rules; and it implements the hooks of the stages where it acts.  The
model (:func:`simcrm.model.business_case.business_case`) calls the hooks of the
option's levers in a fixed order — stage by stage, and within a stage in the
order of :attr:`Lever.order` — and names no lever itself.

Stages, in the order the model calls them
-----------------------------------------
``schedule``
    :meth:`Lever.schedule`: keyword arguments of
    :func:`simcrm.kernels.schedule.project_dates` (permit and grid caps).
``capex``
    :meth:`Lever.capex`: money towards the investment (a grant), paid with the
    construction spending; :meth:`Lever.depreciation_base` and
    :meth:`Lever.taxable_income` say how the tax treats it.
``operating``
    :meth:`Lever.operating`: operating support, part of EBITDA.
``financing``
    :meth:`Lever.debt_terms` (senior debt share and rate), then
    :meth:`Lever.public_debt` (a loan of the state), :meth:`Lever.fee` (fees to the
    state on the senior debt) and, once the cash flows are known,
    :meth:`Lever.public_flows` (the state's cash and the aid in its loan, guarantee or
    stake, with the defaults it bears).
    Then :meth:`Lever.equity` acts on the sponsor's equity cash flow (a public stake,
    the repayment of grants), each lever seeing the flow the ones before left.
``tax``
    :meth:`Lever.deduction`: extra deductions from the taxable profit; the model
    books the tax forgone as the lever's government outlay.
``price``
    :meth:`Lever.price_basis` once, then :meth:`Lever.price_line` for every product
    price path tried (the market path and the break-even search).

Sign convention: plant lines are seen from the investor (inflows positive) and
government outlays and receipts are positive amounts, all in MEUR per year in
money of the scenario's price year (escalated in nominal terms).

Public money, three measures never mixed (:mod:`simcrm.model.public`)
---------------------------------------------------------------------
* **budget cash** = outlays − receipts of each lever, year by year (what leaves and
  returns to the treasury: grants, subsidies, loan disbursements and repayments,
  guarantee calls and fees, purchases and resales, equity and dividends);
* **aid** = the yearly transfer that counts for EU state aid (:attr:`Booking.aid`; by
  default the plant's line, or the outlays where the lever has no plant line), whose
  present value at the EU discount rate is the lever's gross grant equivalent;
* the **fiscal return** (tax over baseline) is the model's, not the lever's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from simcrm.kernels.schedule import production_factor
from simcrm.spec.registry import Param
from simcrm.spec.wording import Reason

if TYPE_CHECKING:  # pragma: no cover
    from simcrm.model.financing import DebtTerms, DefaultRisk, Financing, Loan
    from simcrm.model.plant import Plant

STAGES = ("schedule", "capex", "operating", "financing", "tax", "price")
"""Where a lever acts, in the order the model calls the stages."""


@dataclass
class Booking:
    """A lever's effect in one chunk: plant line and government flows [MEUR/yr].

    Attributes
    ----------
    plant : ndarray, shape (draw, year), or None
        The plant's line (positive = to the plant) [MEUR/yr].
    outlays : ndarray, shape (draw, year)
        What the state pays, ≥ 0 [MEUR/yr].
    receipts : ndarray, shape (draw, year), or None
        What flows back to the state, ≥ 0 [MEUR/yr].
    aid : ndarray, shape (draw, year), or None
        The transfer that counts for EU state aid [MEUR/yr] (default: ``plant``, or
        ``outlays`` where there is no plant line): a loan's or guarantee's advantage
        over market-conform terms, a contract's payment above the market price.
    remask : callable or None
        ``remask(mask)`` -> the booking of a plant that produces only in the years
        where ``mask`` (draw, year) is 1, for a price-dependent line whose flows in one
        year follow from the output of another (a stock bought in one year and sold
        later); None: every flow is multiplied by the mask.
    """

    plant: np.ndarray | None
    outlays: np.ndarray
    receipts: np.ndarray | None = None
    aid: np.ndarray | None = None
    remask: Callable[[np.ndarray], Booking] | None = None

    def aid_flow(self) -> np.ndarray:
        """:attr:`aid`, or its default."""
        if self.aid is not None:
            return self.aid
        return self.outlays if self.plant is None else self.plant


@dataclass
class EquityView:
    """What :meth:`Lever.equity` sees once the cash flows are known.

    Attributes
    ----------
    ncf : ndarray, shape (draw, year)
        The sponsor's equity cash flow so far [MEUR/yr].
    plant : Plant
    grant : ndarray, shape (draw, year)
        Money towards the investment received from the capex-stage levers [MEUR/yr].
    close : ndarray of int, shape (draw,), or None
        Year index in which the sponsor walks away (-1 or None: never).
    rate : ndarray, shape (draw,)
        The investor's discount rate [1/yr].
    """

    ncf: np.ndarray
    plant: Plant
    grant: np.ndarray
    close: np.ndarray | None
    rate: np.ndarray


@dataclass(frozen=True)
class AidTerms:
    """Market-conform terms by the EU methods, for the aid in loans and guarantees.

    Attributes
    ----------
    reference_rate : float
        Base rate plus the margin for rating and collateral [1/yr]
        (Commission communication 2008/C 14/02).
    discount_rate : float
        Base rate plus 100 basis points: discounts aid and eligible costs to the
        valuation year [1/yr].
    guarantee_premium : float
        Market-conform guarantee premium [1/yr] (notice 2008/C 155/02).
    """

    reference_rate: float
    discount_rate: float
    guarantee_premium: float

    @classmethod
    def from_settings(cls, settings: dict) -> AidTerms:
        base = float(settings["state_aid.base_rate"])
        return cls(base + float(settings["state_aid.reference_margin"]), base + 0.01,
                   float(settings["state_aid.guarantee_premium"]))


def param(key: str, kind: str, unit: str, default: Any, description: str, **kw) -> Param:
    """A lever setting: a registry row (see :class:`simcrm.spec.registry.Param`)."""
    return Param(key=key, kind=kind, unit=unit, default=default, description=description, **kw)


def window_params(lever: str) -> tuple[Param, Param]:
    """The calendar window of a lever's support: ``first_year`` and ``last_year`` [year]."""
    return (
        param(f"{lever}.first_year", "int", "year", None,
              "First calendar year in which the support is paid (default: no limit).",
              lo=1900, hi=2300),
        param(f"{lever}.last_year", "int", "year", None,
              "Last calendar year in which the support is paid (default: no limit).",
              lo=1900, hi=2300),
    )


def window(settings: dict, calendar: np.ndarray) -> np.ndarray:
    """1 in calendar years inside the lever's support window, else 0 [1]."""
    y0, y1 = settings.get("first_year"), settings.get("last_year")
    w = np.ones(calendar.shape, float)
    if y0 is not None:
        w *= calendar >= y0
    if y1 is not None:
        w *= calendar <= y1
    return w


def covered_production(start, life, ramp, years, capacity_t, n_years) -> np.ndarray:
    """Tonnes produced in each year within ``years`` of first production [t/yr].

    Parameters
    ----------
    start, life, ramp : ndarray, shape (draw,)
        First production [years from the FID year's start], operating life and
        ramp-up time [years].
    years : float
        Years covered from first production [years].
    capacity_t : ndarray, shape (draw,)
        Output at full production [t/yr].
    n_years : int
        Years of the horizon.
    """
    return production_factor(start, np.minimum(life, years), ramp, n_years,
                             capacity=capacity_t)


@dataclass(frozen=True)
class Lever:
    """One policy lever: its declaration and its hooks (no-ops unless overridden).

    Attributes
    ----------
    name : str
        Name of the TOML table, e.g. ``[options.NAME.<name>]``.
    order : int
        Position in the fixed order in which the model applies levers within a
        stage (unique; independent of the order of the option's tables).
    stage : str
        Where the lever mainly acts, one of :data:`STAGES`.
    label_en, label_nl : str
        Short names for charts and reports.
    params : tuple of Param
        Settings, keys ``<name>.<setting>``, with units, ranges, defaults and the
        source of every non-trivial default.
    setting_labels : dict
        Setting name -> (en, nl) short label; others are labelled from the lever.
    line : str or None
        Name of the lever's plant cash-flow line.
    line_description : str or None
        Long name of that line.
    gov_description : str or None
        Long name of the government flow ``gov_<name>`` (None: the lever books none).
    description : str
        What the lever is, in a sentence (for the scenario reference).
    intensity : str or None
        The setting that says how much support the lever gives (a grant share, a
        subsidy per tonne, a strike price ...), for the funding gap
        (:mod:`simcrm.analysis.gap`); None where no single setting does.
    intensity_range : (float, float) or None
        Where the funding gap searches that setting [its unit]; None: the setting's
        registry range, or up to :data:`simcrm.analysis.gap.OPEN_RANGE_FACTOR` times the
        largest value an option gives where the registry sets no upper bound.
    eu_funds : bool
        Whether the lever's public money is the EU budget's share of the option's
        (reported apart as ``budget_cash_eu``; the Dutch treasury pays the rest).
    """

    name: str
    order: int
    stage: str
    label_en: str
    label_nl: str
    params: tuple[Param, ...]
    setting_labels: dict[str, tuple[str, str]] = field(default_factory=dict)
    line: str | None = None
    line_description: str | None = None
    gov_description: str | None = None
    description: str = ""
    intensity: str | None = None
    intensity_range: tuple[float, float] | None = None
    eu_funds: bool = False
    """Whether the lever's public money is the EU budget's share of the option's
    (reported apart as ``budget_cash_eu``; the Dutch treasury's is the rest)."""

    # --- declaration -------------------------------------------------------------------

    def label(self, lang: str) -> str:
        """Short name of the lever in ``lang`` (``en`` or ``nl``)."""
        return self.label_nl if lang == "nl" else self.label_en

    def setting_label(self, setting: str, lang: str) -> str:
        """Short name of one setting in ``lang``."""
        if setting in self.setting_labels:
            en, nl = self.setting_labels[setting]
            return nl if lang == "nl" else en
        return f"{self.label(lang)} {setting.replace('_', ' ')}"

    def validate(self, settings: dict) -> list[tuple[str, str]]:
        """Problems of a settings dict (defaults filled in) beyond each setting's range.

        Returns
        -------
        list of (setting, message)
        """
        y0, y1 = settings.get("first_year"), settings.get("last_year")
        if isinstance(y0, int) and isinstance(y1, int) and y0 > y1:
            return [("last_year", f"last_year {y1} is before first_year {y0}")]
        return []

    # --- hooks (stage order) ----------------------------------------------------------

    def schedule(self, s: dict) -> dict:
        """Keyword arguments of :func:`~simcrm.kernels.schedule.project_dates`."""
        return {}

    def capex(self, s: dict, plant: Plant) -> Booking | None:
        """Money towards the investment; ``plant`` is the grant line [MEUR/yr]."""
        return None

    def depreciation_base(self, s: dict, base: np.ndarray, own: np.ndarray | None) -> np.ndarray:
        """Capex depreciated for tax [MEUR], given this lever's own plant line ``own``."""
        return base

    def taxable_income(self, s: dict, own: np.ndarray | None) -> np.ndarray | None:
        """Income from this lever taxed in the year received [MEUR/yr]."""
        return None

    def operating(self, s: dict, plant: Plant) -> Booking | None:
        """Operating support, part of EBITDA [MEUR/yr]."""
        return None

    def debt_terms(self, s: dict, terms: DebtTerms) -> None:
        """Change the senior debt's share and rate in place."""

    def public_debt(self, s: dict, terms: DebtTerms, plant: Plant) -> Loan | None:
        """A loan of the state: its share of the capital structure and its schedule."""
        return None

    def fee(self, s: dict, fin: Financing) -> np.ndarray | None:
        """Fee the plant pays the state on its debt, ≥ 0 [MEUR/yr]."""
        return None

    def deduction(self, s: dict, plant: Plant) -> np.ndarray | None:
        """Extra deduction from the taxable profit [MEUR/yr]."""
        return None

    def price_basis(self, s: dict, plant: Plant) -> np.ndarray | None:
        """What a price-dependent line applies to, shape (draw, year) (e.g. tonnes)."""
        return None

    def price_line(self, s: dict, basis: np.ndarray, price: np.ndarray,
                   plant: Plant) -> Booking:
        """The price-dependent line at the product price path ``price`` [EUR/t]."""
        raise NotImplementedError

    def price_terms(self, s: dict, basis: np.ndarray, plant: Plant) -> tuple | None:
        """The plant line of :meth:`price_line` at a flat product price, in closed form,
        for the compiled break-even search (:func:`simcrm.kernels.fused.breakeven`).

        At the price path ``p · plant.esc`` of a flat price ``p`` [EUR/t of the price
        year] the plant line must be, year by year and up to rounding,

            ``price_line(s, basis, p · esc, plant).plant = w · g(a + b · p)``

        with ``g`` the identity (``two_sided``) or ``max(·, 0)``.

        Returns
        -------
        (w, a, b, two_sided) or None
            ``w`` [MEUR/yr per unit of ``a``], ``a`` [the unit of ``a``] and ``b``
            [per EUR/t], each shaped (draw, year), and ``two_sided`` (bool); None (the
            default) where the line is not of that form: the break-even price then
            takes the numpy reference.
        """
        return None

    def public_flows(self, s: dict, risk: DefaultRisk, terms: AidTerms) -> Booking | None:
        """A financing lever's public money once the cash flows are known: the state's
        outlays (loan disbursements, guarantee calls, equity), its receipts other than
        fees (repayments, interest, dividends; lower after a default) and the aid
        against market-conform ``terms`` [MEUR/yr]; ``plant`` is None."""
        return None

    def equity(self, s: dict, view: EquityView) -> Booking | None:
        """A change of the sponsor's equity cash flow once it is known (a public stake,
        the repayment of a grant): ``plant`` is added to the sponsor's net cash flow,
        outlays, receipts and aid are the state's [MEUR/yr]."""
        return None

    def cofunding(self, s: dict, budget: list) -> Booking | None:
        """Public money of the other levers paid from another budget (EU co-funding).

        Parameters
        ----------
        budget : list of (Lever, ndarray)
            Every other lever of the option with its budget cash (outlays − receipts),
            shape (draw, year) [MEUR/yr].

        Returns
        -------
        Booking or None
            ``receipts``: what the other budget pays in place of the Dutch treasury,
            ``outlays``: what it takes back [MEUR/yr]; no plant line.
        """
        return None

    def state_aid(self, s: dict, limits: dict, inputs: dict) -> list[Reason]:
        """Why the lever's settings break an EU state-aid limit, in English and Dutch
        (:class:`simcrm.spec.wording.Reason`; empty: none).

        Parameters
        ----------
        limits : dict
            The scenario's ``state_aid.*`` settings (keys without the prefix).
        inputs : dict
            The world's inputs (distributions as their means).
        """
        return []
