"""Every text of the charts and the report, in English and Dutch.

Texts are looked up by key with :func:`t`; numbers are formatted for the
language with :func:`pct`, :func:`num` and :func:`meur` (Dutch uses a decimal
comma and a point between thousands).  Names of inputs have short labels here
so that charts do not show registry keys; levers and their settings carry their
labels in their own declarations (:mod:`simcrm.levers`).
"""

from __future__ import annotations

import re
import textwrap

from simcrm.levers import LEVERS
from simcrm.spec.wording import NBSP, num, pct

LANGS = ("en", "nl")

TEXTS: dict[str, dict[str, str]] = {
    # ---- footnote and common words
    "footnote": {
        "en": "Source: simcrm {version}, {scenario}, scenario '{world}', {draws} simulations "
              "(seed {seed}), computed on {date}",
        "nl": "Bron: simcrm {version}, {scenario}, scenario '{world}', {draws} simulaties "
              "(seed {seed}), doorgerekend op {date}",
    },
    "footnote_all_worlds": {
        "en": "Source: simcrm {version}, {scenario}, all scenarios, {draws} simulations "
              "(seed {seed}), computed on {date}",
        "nl": "Bron: simcrm {version}, {scenario}, alle scenario's, {draws} simulaties "
              "(seed {seed}), doorgerekend op {date}",
    },
    "no_policy": {"en": "no policy", "nl": "geen beleid"},
    "never": {"en": "not within the horizon", "nl": "niet binnen de horizon"},
    # ---- NPV distribution
    "npv_title": {
        "en": "With {best}, a {p} chance of a profitable plant (no policy: {p0})",
        "nl": "Met {best} {p} kans op een rendabele fabriek (geen beleid: {p0})",
    },
    "npv_title_none": {
        "en": "No option clearly raises the chance of a profitable plant above {p0}",
        "nl": "Geen optie verhoogt de kans op een rendabele fabriek aantoonbaar boven {p0}",
    },
    "npv_xlabel": {"en": "Net present value\nfor the investor [MEUR]",
                   "nl": "Netto contante waarde voor de investeerder [mln euro]"},
    "npv_ptext": {"en": "Chance\nprofitable", "nl": "Kans\nrendabel"},
    "npv_note": {"en": "Shape: spread of outcomes over all simulations; lines: quartiles and "
    "median.",
                 "nl": "Vorm: spreiding van de uitkomsten over alle simulaties; lijnen: "
                       "kwartielen en mediaan."},
    # ---- cost vs probability
    "cost_title": {
        "en": "Most extra chance per euro: {best} (+{gain} points per 100 MEUR)",
        "nl": "Meeste extra kans per euro: {best} (+{gain} procentpunt per 100 mln euro)",
    },
    "cost_title_free": {
        "en": "{best} adds {gain} points of chance at no budget cost",
        "nl": "{best} voegt {gain} procentpunt kans toe zonder kosten voor de begroting",
    },
    "cost_title_none": {
        "en": "No option clearly raises the chance beyond simulation noise",
        "nl": "Geen optie verhoogt de kans aantoonbaar meer dan de simulatieruis",
    },
    "cost_xlabel": {"en": "Budget cash (expected),\npresent value [MEUR]",
                    "nl": "Kasbeslag (verwacht),\ncontante waarde [mln euro]"},
    "aid_fails_mark": {"en": "✗ outside EU state-aid rules",
                       "nl": "✗ buiten EU-staatssteunregels"},
    "built_ylabel": {"en": "Chance the plant is built [%]",
                     "nl": "Kans dat de fabriek gebouwd wordt [%]"},
    "p_ylabel": {"en": "Chance of a profitable plant [%]",
                 "nl": "Kans op een rendabele fabriek [%]"},
    "efficient": {"en": "Efficient: no cheaper option does better",
                  "nl": "Efficiënt: geen goedkopere optie doet het beter"},
    "not_efficient": {"en": "Not efficient", "nl": "Niet efficiënt"},
    # ---- tornado
    "tornado_title": {
        "en": "{input} drives the investor's result most",
        "nl": "{input} bepaalt het resultaat voor de investeerder het meest",
    },
    "tornado_xlabel": {"en": "Co-movement with NPV (rank correlation)",
                       "nl": "Samenhang met de NCW (rangcorrelatie)"},
    "tornado_note": {
        "en": "Bar to the right: a higher value of the input means a higher NPV "
              "(Spearman rank correlation over all simulations); co-movement is not cause.",
        "nl": "Balk naar rechts: een hogere waarde van de invoer geeft een hogere NCW "
              "(Spearman-rangcorrelatie over alle simulaties); samenhang is geen oorzaak.",
    },
    # ---- first production
    "fp_title_up": {
        "en": "Production by {deadline}: {p0} chance without policy, {p} with {best}",
        "nl": "Productie vóór eind {deadline}: {p0} kans zonder beleid, {p} met {best}",
    },
    "fp_title_none": {
        "en": "Production by {deadline}: {p0} chance; no option brings it forward",
        "nl": "Productie vóór eind {deadline}: {p0} kans; geen optie haalt die naar voren",
    },
    "fp_xlabel": {"en": "Year of first production", "nl": "Jaar van eerste productie"},
    "fp_deadline": {"en": "end of {deadline}", "nl": "eind {deadline}"},
    "fp_ptext": {"en": "by {deadline}", "nl": "vóór eind {deadline}"},
    "fp_note": {"en": "Bar: 80 % of the cases in which the plant is built (P10–P90); dot: "
                      "median; no bar: never built",
                "nl": "Balk: 80 % van de gevallen waarin de fabriek gebouwd wordt (P10–P90); "
                      "punt: mediaan; geen balk: nooit gebouwd"},
    # ---- heatmap
    "heat_title": {
        "en": "In scenario '{world}', even the best option reaches only {p}",
        "nl": "In scenario '{world}' haalt zelfs de beste optie maar {p}",
    },
    "heat_title_one": {
        "en": "Chance of a profitable plant ranges from {lo} to {hi} across options",
        "nl": "Kans op een rendabele fabriek loopt van {lo} tot {hi} over de opties",
    },
    "heat_xlabel": {"en": "Scenario", "nl": "Scenario"},
    "heat_ylabel": {"en": "Policy option", "nl": "Beleidsoptie"},
    "heat_cbar": {"en": "Chance of a profitable plant [%]", "nl": "Kans op een rendabele fabriek "
    "[%]"},
    # ---- response curves
    "resp_title": {
        "en": "{lever} of {x} raises the chance of a profitable plant from {p0} to {p} at {cost}",
        "nl": "{lever} van {x} verhoogt de kans op een rendabele fabriek van {p0} naar {p} voor "
              "{cost}",
    },
    "resp_cap": {"en": "cap EUR {v} million{yr} reached", "nl": "plafond € {v} mln{yr} bereikt"},
    "resp_cap_yr": {"en": " a year", "nl": " per jaar"},
    "resp_title_flat": {
        "en": "{lever}: the chance of a profitable plant stays near {p0} at every level",
        "nl": "{lever}: de kans op een rendabele fabriek blijft rond {p0} bij elk niveau",
    },
    "resp_cost_ylabel": {"en": "Budget cash, present value [MEUR]",
                         "nl": "Kasbeslag, contante waarde [mln euro]"},
    "resp_p_ylabel": {"en": "Chance profitable [%]", "nl": "Kans rendabel [%]"},
    "resp_p_panel": {"en": "Chance of a profitable plant",
                     "nl": "Kans op een rendabele fabriek"},
    "resp_cost_panel": {"en": "Cost to the government", "nl": "Kosten voor de overheid"},
    # ---- cash-flow fan
    "fan_title": {
        "en": "Median cumulative cash flow turns positive in {y0} without policy, {y1} with {best}",
        "nl": "Mediane cumulatieve kasstroom wordt positief in {y0} zonder beleid, "
              "{y1} met {best}",
    },
    "fan_title_same": {
        "en": "Median cumulative cash flow turns positive only in {y0}, also with {best}",
        "nl": "Mediane cumulatieve kasstroom wordt pas positief in {y0}, ook met {best}",
    },
    "fan_title_never": {
        "en": "Median cumulative cash flow stays below zero over the horizon, also with {best}",
        "nl": "Mediane cumulatieve kasstroom blijft over de hele horizon onder nul, ook met {best}",
    },
    "fan_xlabel": {"en": "Year", "nl": "Jaar"},
    "fan_ylabel": {"en": "Cumulative net cash flow\n[MEUR]",
                   "nl": "Cumulatieve netto kasstroom\n[mln euro]"},
    "fan_band": {"en": "80 % of cases (P10–P90)", "nl": "80 % van de gevallen (P10–P90)"},
    "fan_median": {"en": "Median", "nl": "Mediaan"},
    "fan_note": {"en": "Not discounted (nominal cash). Drawn from the first {n} simulations, "
                        "kept for audit; the other charts use all {total}.",
                 "nl": "Niet verdisconteerd. Getekend op de eerste {n} simulaties (bewaard "
                       "voor controle); de andere grafieken gebruiken alle {total}."},
    # ---- report
    "report_title": {"en": "Business case of the {scenario}: effect of policy options",
                     "nl": "Businesscase {scenario}: effect van beleidsopties"},
    "report_sub": {
        "en": "simcrm {version} · {draws} simulations · computed on {date}",
        "nl": "simcrm {version} · {draws} simulaties · doorgerekend op {date}",
    },
    "headline": {"en": "Headline numbers", "nl": "Kerncijfers"},
    "h_p0": {"en": "Chance the plant is built without policy",
             "nl": "Kans dat de fabriek gebouwd wordt zonder beleid"},
    "h_best": {"en": "Best option: {best}", "nl": "Beste optie: {best}"},
    "h_best_p": {"en": "chance the plant is built {p} (+{d} points)",
                 "nl": "kans dat de fabriek gebouwd wordt {p} (+{d} procentpunt)"},
    "h_best_cost": {"en": "budget cash {cost} (present value; net of extra tax {net}), "
                          "grant equivalent {gge}",
                    "nl": "kasbeslag {cost} (contante waarde; na extra belasting {net}), "
                          "subsidie-equivalent {gge}"},
    "h_npv0": {"en": "Mean NPV without policy", "nl": "Gemiddelde NCW zonder beleid"},
    "h_prod": {"en": "Chance of production by end {deadline} without policy",
               "nl": "Kans op productie vóór eind {deadline} zonder beleid"},
    "h_investable": {"en": "Options investable under the decision rule",
                     "nl": "Opties die volgens de beslisregel investeerbaar zijn"},
    "h_none": {"en": "none", "nl": "geen"},
    "best_rule": {
        "en": "Best option: among the options that add a chance that the plant is built beyond "
              "simulation noise (two paired standard errors and at least 1 point), do not lower "
              "the expected NPV and pass the EU state-aid check, an option that makes the plant "
              "investable ({rule}) comes first; then the most extra chance per 100 MEUR of budget "
              "cash (present value; an option that costs the budget nothing first). Shown for "
              "the scenario '{world}'.",
        "nl": "Beste optie: van de opties die de kans dat de fabriek gebouwd wordt meer "
              "verhogen dan de simulatieruis (twee gepaarde standaardfouten en minstens 1 "
              "procentpunt), de verwachte NCW niet verlagen en binnen de EU-staatssteunregels "
              "passen, gaat een optie die de fabriek investeerbaar maakt ({rule}) voor; daarna "
              "de meeste extra kans per 100 mln EUR kasbeslag (contante waarde; een optie die de "
              "begroting niets kost eerst). Getoond voor scenario '{world}'.",
    },
    "table": {"en": "Comparison of options", "nl": "Vergelijking van de opties"},
    "table_world": {"en": "Scenario: {world}", "nl": "Scenario: {world}"},
    "charts": {"en": "Charts", "nl": "Grafieken"},
    "assumptions": {"en": "Annex: assumptions and their sources",
                    "nl": "Bijlage: aannames en hun bronnen"},
    "assumptions_intro": {
        "en": "The inputs of the scenario, grouped by topic, with their sources.",
        "nl": "De invoer van het scenario, per onderwerp, met de bronnen.",
    },
    "a_key": {"en": "Setting", "nl": "Instelling"},
    "a_value": {"en": "Value", "nl": "Waarde"},
    "a_source": {"en": "Source", "nl": "Bron"},
    "a_nosource": {"en": "(no source given)", "nl": "(geen bron opgegeven)"},
    "method": {"en": "Method and limits", "nl": "Methode en beperkingen"},
    "method_text": {
        "en": [
            "simcrm simulates the plant's business case {draws} times (Monte Carlo). Each run "
            "takes one value for every uncertain input (capex, overrun, permit time, grid "
            "wait, price paths ...) from the distributions in the scenario file. Every policy "
            "option and every scenario sees the same simulations, so differences between options "
            "come "
            "from the options, not from chance.",
            "Each simulation follows the project from today: development (permit, appeals, "
            "grid connection) costs money while it lasts, the permit can be refused for good "
            "and the market window can close, and the cost estimate rises while the project "
            "waits. When the permit and the grid connection are in place the investor decides: "
            "it builds only if the expected NPV, given what it knows at that moment, is "
            "positive (estimated by regression across the simulations). A plant that is not "
            "built loses its development money and produces nothing; a built plant stops in "
            "years when it cannot cover its variable costs, and its owner closes it after "
            "several years of losses.",
            "NPV is the investor's net present value at the scenario's discount rate, valued "
            "at the start of the valuation year ({timing}), of the cash flow to equity; the "
            "project NPV in the results files leaves the loans out. The chance of a "
            "profitable plant is the share of simulations in which the plant is built and "
            "earns back its cost of capital. "
            "Budget cash is what leaves the treasury less what the levers bring back (loans "
            "repaid, fees, resales), present value at the public discount rate; the grant "
            "equivalent values the aid by the EU state-aid methods; the fiscal return is the "
            "extra corporate tax where the option decides whether or when the plant is built.",
            "Limits: the result is only as good as the input distributions and their "
            "sources; the model is annual and does not capture strategic behaviour of "
            "competitors, financing terms beyond those stated, or wider economic effects "
            "(jobs, security of supply). Simulation noise on that chance is about ±{se} "
            "points (standard error); smaller differences between options are not meaningful.",
        ],
        "nl": [
            "simcrm simuleert de businesscase van de fabriek {draws} keer (Monte Carlo). Elke "
            "simulatie neemt voor elke onzekere invoer (investering, overschrijding, "
            "vergunningsduur, wachttijd voor de netaansluiting, prijspaden ...) een waarde uit "
            "de verdelingen in het scenariobestand. Elke beleidsoptie en elk scenario krijgt "
            "dezelfde simulaties, zodat verschillen tussen opties uit de opties komen en niet "
            "uit toeval.",
            "Elke simulatie volgt het project vanaf vandaag: de ontwikkeling (vergunning, "
            "beroep, netaansluiting) kost geld zolang ze duurt, de vergunning kan definitief "
            "worden geweigerd en de markt kan wegvallen, en de kostenraming stijgt zolang het "
            "project wacht. Zodra vergunning en netaansluiting rond zijn, beslist de "
            "investeerder: hij bouwt alleen als de verwachte NCW, gegeven wat hij op dat moment "
            "weet, positief is (geschat met regressie over de simulaties). Een fabriek die niet "
            "gebouwd wordt, verliest haar ontwikkelkosten en produceert niets; een gebouwde "
            "fabriek ligt stil in jaren waarin ze haar variabele kosten niet terugverdient, en "
            "de eigenaar sluit haar na enkele verliesjaren.",
            "NCW is de netto contante waarde voor de investeerder tegen de disconteringsvoet "
            "van het scenario, gewaardeerd op het begin van het waarderingsjaar ({timing}), van "
            "de kasstroom naar het eigen vermogen; de project-NCW in de resultaatbestanden laat "
            "de leningen weg. De kans op een "
            "rendabele fabriek is het aandeel simulaties waarin de fabriek gebouwd wordt en haar "
            "kapitaalkosten terugverdient. Het kasbeslag is wat de schatkist uitgeeft min wat de "
            "instrumenten terugbrengen (afgeloste leningen, provisies, doorverkoop), contante "
            "waarde tegen de publieke disconteringsvoet; het subsidie-equivalent waardeert de "
            "steun volgens de EU-staatssteunmethoden; de fiscale terugverdienst is de extra "
            "vennootschapsbelasting waar de optie bepaalt of en wanneer de fabriek gebouwd "
            "wordt.",
            "Beperkingen: de uitkomst is zo goed als de invoerverdelingen en hun bronnen; het "
            "model rekent per jaar en bevat geen strategisch gedrag van concurrenten, geen "
            "andere financieringsvoorwaarden dan opgegeven en geen bredere economische effecten "
            "(banen, leveringszekerheid). De simulatieruis op de kans is ongeveer ±{se} "
            "procentpunt (standaardfout); kleinere verschillen tussen opties zeggen niets.",
        ],
    },
    "timing_start-of-year": {"en": "each year's cash flow at its start",
                             "nl": "de kasstroom van elk jaar aan het begin ervan"},
    "timing_mid-year": {"en": "each year's cash flow in its middle",
                        "nl": "de kasstroom van elk jaar halverwege het jaar"},
    "timing_end-of-year": {"en": "each year's cash flow at its end",
                           "nl": "de kasstroom van elk jaar aan het eind ervan"},
    "other_lang": {"en": "Nederlandse versie", "nl": "English version"},
    "yes": {"en": "yes", "nl": "ja"},
    "no": {"en": "no", "nl": "nee"},
    "table_note": {
        "en": "± is simulation noise (standard error), not forecast uncertainty. Decision "
              "rule: {rule}.",
        "nl": "± is de simulatieruis (standaardfout), geen prognose-onzekerheid. Beslisregel: "
              "{rule}.",
    },
    # ---- briefing
    "key_heading": {"en": "Key message", "nl": "Kernboodschap"},
    "read_heading": {"en": "How to read this", "nl": "Leeswijzer"},
    "read_text": {
        "en": "simcrm computes the plant's business case {draws} times (simulations), each "
              "time with other values for the uncertain inputs such as investment cost, "
              "prices and permit time. A scenario is a possible future for the markets "
              "(e.g. '{world}'); a policy option is a government measure. The chance that the "
              "plant is built is the share of simulations in which the investor, judging what "
              "it knows at the investment decision, decides to build; the chance of a "
              "profitable plant is the share in which it is built and earns back the cost of "
              "capital. Neither is a forecast of what will happen. ± is "
              "simulation noise (standard error), not forecast uncertainty: an option whose "
              "effect is within two paired standard errors of zero is not distinguishable "
              "from no policy.",
        "nl": "simcrm rekent de businesscase van de fabriek {draws} keer door (simulaties), "
              "steeds met andere waarden voor onzekere invoer zoals investeringskosten, "
              "prijzen en vergunningsduur. Een scenario is een mogelijke toekomst voor de "
              "markten (bijvoorbeeld '{world}'); een beleidsoptie is een maatregel van de "
              "overheid. De kans dat de fabriek gebouwd wordt is het aandeel simulaties waarin "
              "de investeerder, op grond van wat hij bij het investeringsbesluit weet, besluit "
              "te bouwen; de kans op een rendabele fabriek is het aandeel waarin ze gebouwd "
              "wordt en de kapitaalkosten terugverdient. Geen van beide is een voorspelling. "
              "± is simulatieruis (standaardfout), geen prognose-"
              "onzekerheid: een optie waarvan het effect binnen twee gepaarde "
              "standaardfouten van nul ligt, is niet te onderscheiden van geen beleid.",
    },
    "grey_note": {"en": "Grey: not distinguishable from no policy (effect within two paired "
                        "standard errors).",
                  "nl": "Grijs: niet te onderscheiden van geen beleid (effect binnen twee "
                        "gepaarde standaardfouten)."},
    "echo": {"en": "moves with {other}", "nl": "beweegt mee met {other}"},
    "echo_note": {"en": "Hatched: the input is correlated with one ranked above it, so its bar "
                        "partly echoes that input; the variance ranking in the annex "
                        "(Sobol') separates them.",
                  "nl": "Gearceerd: deze invoer hangt samen met een hoger gerangschikte, dus "
                        "de balk weerspiegelt deels die invoer; de variantieanalyse in de "
                        "bijlage (Sobol') scheidt ze."},
    "col_option": {"en": "Option", "nl": "Beleidsoptie"},
    "col_p": {"en": "Chance of a profitable plant", "nl": "Kans op een rendabele fabriek"},
    "col_built": {"en": "Chance the plant is built", "nl": "Kans dat de fabriek gebouwd wordt"},
    "col_aid": {"en": "Within EU state-aid rules", "nl": "Binnen EU-staatssteunregels"},
    "col_gain": {"en": "Extra chance [points]", "nl": "Extra kans [procentpunt]"},
    "col_verdict": {"en": "Verdict", "nl": "Oordeel"},
    "verdict_helps": {"en": "helps", "nl": "helpt"},
    "verdict_noise": {"en": "not distinguishable from no policy",
                      "nl": "niet te onderscheiden van geen beleid"},
    "verdict_lowers": {"en": "lowers the expected NPV", "nl": "verlaagt de verwachte NCW"},
    "verdict_aid": {"en": "fails the state-aid check", "nl": "past niet in de staatssteunregels"},
    "col_cost": {"en": "Budget cash, present value [EUR million]",
                 "nl": "Kasbeslag, contante waarde [mln euro]"},
    "col_per100": {"en": "Extra chance per EUR 100 million [points]",
                   "nl": "Extra kans per 100 mln euro [procentpunt]"},
    "col_investable": {"en": "Investable", "nl": "Investeerbaar"},
    "table_short_note": {
        "en": "± is simulation noise (standard error), not forecast uncertainty. * not "
              "distinguishable from no policy (within two paired standard errors). Public "
              "cost: present value of the government's outlays.",
        "nl": "± is simulatieruis (standaardfout), geen prognose-onzekerheid. * niet te "
              "onderscheiden van geen beleid (binnen twee gepaarde standaardfouten). Publieke "
              "kosten: contante waarde van de uitgaven van de overheid."},
    "indistinct": {"en": "not distinguishable from no policy",
                   "nl": "niet te onderscheiden van geen beleid"},
    "distinct": {"en": "effect beyond simulation noise",
                 "nl": "effect groter dan de simulatieruis"},
    "annex": {"en": "Annex: technical analyses", "nl": "Bijlage: technische analyses"},
    "more_charts": {"en": "Further charts", "nl": "Overige grafieken"},
    "capped": {"en": "{n} of {total} options shown (highest chance of a profitable plant); "
                     "all options are in the table.",
               "nl": "{n} van {total} opties getoond (hoogste kans op een rendabele fabriek); "
                     "alle opties staan in de tabel."},
    "page": {"en": "page {n}", "nl": "pagina {n}"},
    "sources": {"en": "Sources", "nl": "Bronnen"},
    "contd": {"en": "(continued)", "nl": "(vervolg)"},
    "rule": {
        "en": "investable if the mean NPV at the investor's discount rate is at least {npv} MEUR",
        "nl": "investeerbaar als de gemiddelde NCW tegen de disconteringsvoet van de "
              "investeerder minstens {npv} mln EUR is",
    },
    "public_money_note": {
        "en": "Public money, three measures never mixed. Budget cash: what leaves the treasury "
              "less what the levers bring back (loans repaid, fees, resales, dividends), present "
              "value at the public discount rate; corporate tax is not in it. Grant equivalent: "
              "the value of all aid by the EU state-aid methods (loans and guarantees only for "
              "their advantage over market terms). Fiscal return: corporate tax the plant pays "
              "over the baseline, only where the option decides whether or when the plant is "
              "built. Extra chance per 100 MEUR: the additional chance that the plant is built, "
              "per 100 MEUR of budget cash.",
        "nl": "Publiek geld, drie maten die niet gemengd worden. Kasbeslag: wat de schatkist "
              "uitgeeft min wat de instrumenten terugbrengen (afgeloste leningen, provisies, "
              "doorverkoop, dividend), contante waarde tegen de publieke disconteringsvoet; "
              "vennootschapsbelasting zit er niet in. Subsidie-equivalent: de waarde van alle "
              "steun volgens de EU-staatssteunmethoden (leningen en garanties alleen voor hun "
              "voordeel boven marktvoorwaarden). Fiscale terugverdienst: vennootschapsbelasting "
              "boven de referentie, alleen waar de optie bepaalt of en wanneer de fabriek "
              "gebouwd wordt. Extra kans per 100 mln EUR: de extra kans dat de fabriek gebouwd "
              "wordt, per 100 mln EUR kasbeslag.",
    },
    "state_aid_fails": {
        "en": "Options that fail the EU state-aid check (simulated all the same, marked 'no' "
              "in the table):",
        "nl": "Opties die niet door de EU-staatssteuntoets komen (wel doorgerekend, met 'nee' "
              "in de tabel):",
    },
    "rule_loss": {
        "en": " and, as the sponsor's own limit, P(NPV < 0) ≤ {loss}",
        "nl": " en, als eigen grens van de sponsor, P(NCW < 0) ≤ {loss}",
    },
}

# --------------------------------------------------------------------------------------
# Names of inputs, levers and lever settings
# --------------------------------------------------------------------------------------

MARKET_NAMES = {
    "product": ("Product price", "Productprijs"),
    "feedstock": ("Feedstock price", "Grondstofprijs"),
    "electricity": ("Power price", "Stroomprijs"),
    "gas": ("Gas price", "Gasprijs"),
    "carbon": ("CO2 price", "CO2-prijs"),
}
MARKET_PARAMS = {
    "start": ("now", "nu"),
    "long_run": ("long run", "lange termijn"),
    "reversion": ("reversion speed", "terugkeersnelheid"),
    "volatility": ("volatility", "volatiliteit"),
    "crash_prob": ("crash chance", "kans op crash"),
    "crash_size": ("crash size", "omvang crash"),
    "spike_prob": ("spike chance", "kans op piek"),
    "spike_size": ("spike size", "omvang piek"),
    "path_mean": ("(average)", "(gemiddeld)"),
    "grid_tariff": ("grid tariff", "nettarief"),
}
INPUT_NAMES = {
    "plant.capacity_tpa": ("Capacity", "Capaciteit"),
    "plant.capex_meur": ("Investment cost", "Investeringskosten"),
    "plant.capex_overrun": ("Cost overrun", "Kostenoverschrijding"),
    "plant.construction_months": ("Construction time", "Bouwtijd"),
    "plant.rampup_years": ("Ramp-up time", "Opstarttijd"),
    "plant.utilisation": ("Utilisation", "Bezettingsgraad"),
    "plant.life_years": ("Plant life", "Levensduur"),
    "operations.feedstock_t_per_t": ("Feedstock use", "Grondstofverbruik"),
    "operations.electricity_mwh_per_t": ("Power use", "Stroomverbruik"),
    "operations.gas_mwh_per_t": ("Gas use", "Gasverbruik"),
    "operations.co2_t_per_t": ("CO2 emissions", "CO2-uitstoot"),
    "operations.free_allocation_share": ("Free ETS allowances", "Gratis ETS-rechten"),
    "operations.reagents_eur_per_t": ("Reagent cost", "Kosten hulpstoffen"),
    "operations.labour_meur_per_yr": ("Labour cost", "Personeelskosten"),
    "operations.maintenance_share": ("Maintenance cost", "Onderhoudskosten"),
    "operations.other_fixed_meur_per_yr": ("Other fixed cost", "Overige vaste kosten"),
    "permitting.permit_months": ("Permit time", "Vergunningsduur"),
    "permitting.appeal_prob": ("Appeal chance", "Kans op beroep"),
    "permitting.appeal_months": ("Appeal delay", "Vertraging door beroep"),
    "permitting.appeal": ("Permit appealed", "Beroep tegen vergunning"),
    "permitting.grid_wait_months": ("Grid connection wait", "Wachttijd netaansluiting"),
    "finance.discount_rate": ("Discount rate", "Disconteringsvoet"),
    "finance.tax_rate": ("Tax rate", "Belastingtarief"),
    "finance.working_capital_share": ("Working capital", "Werkkapitaal"),
    "finance.debt_gearing": ("Debt share", "Aandeel vreemd vermogen"),
    "finance.debt_rate": ("Interest rate", "Rente"),
}

UNIT_WORDS = {
    "months": ("months", "maanden"),
    "years": ("years", "jaar"),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "nl" else pair[0]


def check_lang(lang: str | None) -> str:
    """The language code, ``en`` when not given; an error for unknown languages."""
    lang = lang or "en"
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}: choose one of {', '.join(LANGS)}")
    return lang


def t(key: str, lang: str, **kw) -> str:
    """The text ``key`` in ``lang`` with ``{fields}`` filled in from ``kw``."""
    s = TEXTS[key][lang]
    return s.format(**kw) if kw else s


def paragraphs(key: str, lang: str, **kw) -> list[str]:
    """A list of paragraphs (texts stored as a list)."""
    return [p.format(**kw) for p in TEXTS[key][lang]]


def input_label(key: str, lang: str, fallback: str = "") -> str:
    """Short name of a sampled input such as ``plant.capex_meur`` or
    ``markets.product.path_mean``."""
    if key in INPUT_NAMES:
        return _pick(INPUT_NAMES[key], lang)
    parts = key.split(".")
    if len(parts) == 3 and parts[0] == "markets" and parts[1] in MARKET_NAMES:
        m = _pick(MARKET_NAMES[parts[1]], lang)
        p = MARKET_PARAMS.get(parts[2])
        return f"{m} {_pick(p, lang)}" if p else f"{m} {parts[2]}"
    return fallback or key


def lever_label(lever: str, lang: str) -> str:
    """Short name of a lever, from its declaration in :mod:`simcrm.levers`."""
    return LEVERS[lever].label(lang) if lever in LEVERS else lever.replace("_", " ")


def setting_label(key: str, lang: str) -> str:
    """Short name of a lever setting ``LEVER.SETTING``, from the lever's declaration."""
    lever, _, name = key.partition(".")
    if lever in LEVERS:
        return LEVERS[lever].setting_label(name, lang)
    return f"{lever_label(lever, lang)} {name.replace('_', ' ')}"


# --------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------


def points(p: float, lang: str, digits: int = 1) -> str:
    """A difference of probabilities in percentage points, without unit."""
    return num(100 * p, lang, digits)


def meur(x: float, lang: str) -> str:
    """An amount in MEUR, e.g. ``202 MEUR`` / ``202 mln EUR``."""
    return f"{num(x, lang)}{NBSP}{'mln EUR' if lang == 'nl' else 'MEUR'}"


def setting_value(key: str, value, unit: str, lang: str) -> str:
    """A lever setting's value in words: shares as %, money with its unit."""
    if isinstance(value, bool):
        return t("yes" if value else "no", lang)
    if not isinstance(value, (int, float)):
        return str(value)
    if unit == "1":
        return pct(value, lang, 0 if abs(100 * value - round(100 * value)) < 1e-9 else 1)
    if unit in UNIT_WORDS:
        return f"{num(value, lang, 0 if value == int(value) else 1)}{NBSP}" \
               f"{_pick(UNIT_WORDS[unit], lang)}"
    digits = 0 if value == int(value) else 2
    u = {"EUR/t": "€/t", "EUR/MWh": "€/MWh", "MEUR": "mln €" if lang == "nl" else "M€",
         "t/yr": "t/jaar" if lang == "nl" else "t/yr", "1/yr": "/jaar" if lang == "nl" else "/yr"
         }.get(unit, unit)
    return f"{num(value, lang, digits)}{NBSP}{u}"


def money(x: float, lang: str) -> str:
    """An amount in MEUR for a sentence, at most one decimal: ``EUR 181 million`` /
    ``€ 181 mln`` (one decimal below 10, none above)."""
    digits = 1 if abs(x) < 9.95 and round(x, 1) != round(x) else 0
    v = num(x, lang, digits)
    return f"€{NBSP}{v}{NBSP}mln" if lang == "nl" else f"EUR{NBSP}{v}{NBSP}million"


MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
    "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"],
}


def date_long(iso: str, lang: str) -> str:
    """``2026-11-29...`` as ``29 November 2026`` / ``29 november 2026``; as given if not a
    date."""
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", str(iso or ""))
    if not m:
        return str(iso or "")
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    return f"{d} {MONTHS[lang][mo - 1]} {y}"


PLANTS = {
    "lithium-hydroxide-refinery": ("lithium hydroxide refinery", "lithiumhydroxideraffinaderij"),
    "battery-recycling": ("battery recycling plant", "batterijrecyclingfabriek"),
    "gallium-germanium-recovery": ("gallium and germanium recovery plant",
                                   "fabriek voor terugwinning van gallium en germanium"),
    "nickel-cobalt-refining": ("nickel and cobalt refinery", "nikkel- en kobaltraffinaderij"),
    "rare-earth-separation": ("rare-earth separation plant",
                              "scheidingsfabriek voor zeldzame aardmetalen"),
    "benchmark": ("benchmark plant", "referentiefabriek"),
}


def plant_name(scenario: str, lang: str) -> str:
    """The plant a scenario describes, in words (the scenario's name as a fallback)."""
    if scenario in PLANTS:
        return _pick(PLANTS[scenario], lang)
    return str(scenario).replace("-", " ").replace("_", " ")


NL_WORDING = {
    "Snelle vergunning (CRMA 15 maanden)":
        "Snellere vergunningverlening (max. 15 maanden, CRMA)",
    "Energiekostenverlaging (gat NL–DE dichten)":
        "Lagere energiekosten (verschil met Duitsland overbrugd)",
    "Afname voor voorraad": "Afname voor strategische voorraad",
    "Basiswereld": "Basis",
    "Basispad (geen beleid)": "Geen beleid",
}
"""Dutch labels of the library scenarios as a policy officer writes them
(``shared/briefing-style.md``)."""


def tidy_label(label: str, lang: str) -> str:
    """An option or scenario label as a reader expects it: Dutch thousands with a point
    (``2 400`` → ``2.400``), ``t/j`` → ``t/jaar``, ``EUR`` → ``€``."""
    s = str(label)
    if lang == "nl":
        s = re.sub(r"(?<=\d)[ \u00a0\u202f](?=\d{3}\b)", ".", s)
        s = re.sub(r"\bt/j\b", "t/jaar", s)
        s = re.sub(r"(\d[\d.,]*)\s?EUR/", "€\u00a0\\1/", s)
        s = s.replace(" EUR", " euro")
        s = re.sub(r" tegen (€)", r" à \1", s).replace(", €", " à €")
        s = re.sub(r"\bt/j\b", "t/jaar", s)
        for a, b in NL_WORDING.items():
            s = s.replace(a, b)
    else:
        s = re.sub(r"(?<=\d)[ \u00a0\u202f](?=\d{3}\b)", ",", s)
    return s


def wrap(label: str, width: int = 28) -> str:
    """A long label over lines of at most ``width`` characters (words kept whole)."""
    return "\n".join(textwrap.wrap(str(label), width, break_on_hyphens=False)) or str(label)
