"""The facility's named figures on one day: each evaluated once, from its one definition, with its
explanation built from the same formula.

A name is either the vocabulary's (a tranche's principal, a collateral class's reported value, the
open total of a contingent kind, a measure) or a figure a clause in force defines (a borrowing base
line, a reserve, a borrowing base, availability, a figure the clause names). Money figures are
rounded half-up to the cent once, where they are defined, so every figure built on them is in cents;
percentages are exact. Inside formulas a percentage is its fraction (85% is 0.85).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, localcontext

from ..agreement.definitions import Definition, all_definitions, definitions_of
from ..agreement.formula import MONEY, PERCENT, Formula, Num, evaluate, parse_formula, subtrahend
from ..agreement.kinds import Availability, BorrowingBase, Line, NamedFigure, Overadvance, Reserve
from ..agreement.kinds_pricing import LevelGrid, LevelValues
from ..agreement.model import Agreement, ClauseVersion
from ..agreement.quantity import Quantity, Schedule, StepDown, quantity_text
from ..core.errors import RecordError
from ..core.money import HUNDRED, ZERO, cents
from .explain import Explanation, clause_ref, interpretation_ref, leaf
from .indices import IndexBook
from .ledger import Ledger, Snapshot
from .levels import LevelBook

PRECISION = 50


@dataclass
class FigureBook:
    """Named figures at the end of one day. `extra` adds to tranche principal (what-if: an advance)."""

    agreement: Agreement
    snap: Snapshot
    day: date
    ledger: Ledger
    extra: dict[str, Decimal] = field(default_factory=dict)
    indices: IndexBook | None = None
    levels: LevelBook | None = None
    _cache: dict[str, tuple[Decimal, Explanation]] = field(default_factory=dict)
    _stack: list[str] = field(default_factory=list)
    _defs: dict[str, list[Definition]] | None = None
    parts: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)  # availability id: (capacity, usage)

    # --- looking names up ---------------------------------------------------------------------------

    def definitions(self) -> dict[str, list[Definition]]:
        if self._defs is None:
            found: dict[str, list[Definition]] = {}
            for version in self.agreement.in_force(self.day):
                for d in definitions_of(version):
                    found.setdefault(d.id, []).append(d)
            self._defs = found
        return self._defs

    def defined(self, name: str) -> bool:
        return name in self.definitions() or name in self.agreement.vocabulary.formula_units()

    def definition(self, name: str) -> Definition:
        found = self.definitions().get(name, [])
        if len(found) == 1 or (found and all(d.role == "overadvance" and d.block is found[0].block for d in found)):
            return found[0]
        if found:
            where = ", ".join(f"{d.version.clause_id} ({d.version.document_id})" for d in found)
            raise RecordError(f"two clauses in force on {self.day} define {name}: {where}")
        raise RecordError(_undefined(self.agreement, name, self.day))

    def unit(self, name: str) -> str:
        units = self.agreement.vocabulary.formula_units()
        return units[name] if name in units else self.definition(name).unit

    # --- values -------------------------------------------------------------------------------------

    def value(self, name: str) -> Decimal:
        """In the figure's own unit: dollars, or percent (85 for 85%)."""
        return self._get(name)[0]

    def raw(self, name: str) -> Decimal:
        """As formulas use it: percentages as fractions."""
        value = self.value(name)
        return value / HUNDRED if self.unit(name) == PERCENT else value

    def explain(self, name: str) -> Explanation:
        return self._get(name)[1]

    def _get(self, name: str) -> tuple[Decimal, Explanation]:
        if name in self._cache:
            return self._cache[name]
        if name in self._stack:
            raise RecordError(f"the figure {name} depends on itself: {' -> '.join(self._stack + [name])}")
        self._stack.append(name)
        try:
            with localcontext() as ctx:
                ctx.prec = PRECISION
                result = self._vocabulary(name) if name in self.agreement.vocabulary.formula_units() \
                    else self._defined(self.definition(name))
        finally:
            self._stack.pop()
        self._cache[name] = result
        return result

    def _vocabulary(self, name: str) -> tuple[Decimal, Explanation]:
        vocabulary = self.agreement.vocabulary
        for tranche in vocabulary.tranches:
            if tranche.name == name:
                amount = self.snap.loan(tranche.id) + self.extra.get(tranche.id, ZERO)
                source = f"replay of opening balances, advances and repayments of {tranche.id}"
                if tranche.id in self.extra:
                    source += f", with the requested {self.extra[tranche.id]} added"
                return amount, Explanation(name, amount, source=source, label=tranche.label)
        for kind in vocabulary.contingents:
            if kind.name == name:
                open_items = self.snap.open_contingents(kind.id)
                total = sum((c.amount for c in open_items), start=ZERO)
                return total, Explanation(name, total, formula=f"sum of open {kind.label}" if open_items else None,
                                          inputs=tuple(leaf(c.id, c.amount, c.where) for c in open_items),
                                          source=None if open_items else f"no open {kind.label}", label=kind.label)
        for collateral in vocabulary.collateral:
            if collateral.id == name:
                reported = self.snap.collateral.get(name)
                value = reported.value if reported else ZERO
                return value, Explanation(name, value, label=collateral.label,
                                          source=reported.where if reported else "no borrowing base report yet: 0")
        index = vocabulary.get("indices", name)
        if index is not None:
            if self.indices is None:
                raise RecordError(f"{name} is an index: its rate is not known to this computation")
            change = self.indices.on(name, self.day)
            return change.rate, Explanation(name, change.rate, unit="percent", label=index.label, source=change.source)
        measure = vocabulary.get("measures", name)
        if measure is not None:
            reported = self.snap.measures.get(name)
            value = reported.value if reported else ZERO
            return value, Explanation(name, value, unit=measure.unit, label=measure.label,
                                      source=reported.where if reported else f"not reported yet: 0 until a report "
                                                                             f"gives {name}",
                                      reported=reported is not None)
        raise RecordError(f"{name} cannot be used in a formula on {self.day}")  # an index: not a figure

    # --- definitions ----------------------------------------------------------------------------------

    def _defined(self, d: Definition) -> tuple[Decimal, Explanation]:
        ref = clause_ref(self.agreement, d.version)
        item, block = d.item, d.block
        if isinstance(item, NamedFigure):
            value, text, inputs = self.quantity(item.value, d.version, d.id)
            value = cents(value) if d.unit == MONEY else value * HUNDRED if d.unit == PERCENT else value
            return value, Explanation(d.id, value, formula=text, inputs=inputs, clause=ref, unit=d.unit,
                                      label=d.label)
        if isinstance(item, Line):
            assert isinstance(block, BorrowingBase)
            return self._line(block, item, d.version, ref)
        if isinstance(item, Reserve):
            return self._reserve(item, d.version, ref)
        if isinstance(item, LevelValues):
            assert isinstance(block, LevelGrid)
            if self.levels is None:
                raise RecordError(f"{d.id} depends on a level of {block.label}, not known to this computation")
            state = self.levels.level_on(block, self.day)
            value = item.value(state.level)
            return value, Explanation(d.id, value, unit=item.unit, label=item.label, clause=ref,
                                      formula=f"level {state.level} of {block.label}: {state.detail}",
                                      source=state.source)
        if isinstance(block, BorrowingBase):
            return self._borrowing_base(block, ref)
        if isinstance(block, Availability):
            return self._availability(block, d.version, ref)
        assert isinstance(block, Overadvance)
        return self._overadvance(d.id, block, d.version, ref)

    def quantity(self, quantity: Quantity, version: ClauseVersion, what: str,
                 local: dict[str, Decimal] | None = None) -> tuple[Decimal, str, tuple[Explanation, ...]]:
        """A quantity's exact value on the day (formula units), the formula in force, and its inputs."""
        formula, text = self.formula_on(quantity, version, what)
        local = local or {}
        try:
            value = evaluate(formula, lambda n: local[n] if n in local else self.raw(n))
        except ZeroDivisionError as exc:
            raise RecordError(f"{version.clause_id} on {self.day}: {exc}") from None
        inputs = tuple(self.explain(n) for n in formula.names if n not in local)
        return value, text, inputs

    def formula_on(self, quantity: Quantity, version: ClauseVersion, what: str) -> tuple[Formula, str]:
        """The formula a quantity gives on the day, and its text as explained: a schedule's entry for the day,
        a step-down's rate that day (as a number)."""
        if isinstance(quantity, StepDown):
            rate = quantity.rate_on(self.day)
            text = f"{quantity_text(quantity)}: {quantity.steps_by(self.day)} step(s) by {self.day}"
            return Formula(text, Num(rate / HUNDRED, f"{rate}%", percent=True)), text
        if isinstance(quantity, Schedule):
            entry = quantity.entry_on(self.day)
            if entry is None:
                raise RecordError(f"{version.clause_id}: no {what} is in force on {self.day} (the schedule of "
                                  f"{version.document_id} does not cover the day)")
            return entry.value, f"{entry.value.text} (from {entry.start}" + (f" to {entry.end})" if entry.end else ")")
        return quantity, quantity.text

    def _line(self, block: BorrowingBase, line: Line, version: ClauseVersion, ref: dict):
        rate, rate_text, rate_inputs = self.quantity(line.rate, version, f"rate of {line.id}")
        base, base_x = self.value(line.collateral), self.explain(line.collateral)
        amount = cents(rate * base)
        rate_x = single(rate_inputs, rate_text) or Explanation(f"{line.id} rate", rate * HUNDRED, formula=rate_text,
                                                               inputs=rate_inputs, unit=PERCENT)
        inputs = [rate_x, base_x]
        value = amount
        cap_texts = []
        for i, cap in enumerate(line.caps):
            if cap.share_of_total is not None:
                others = sum((self.value(other.id) for other in block.lines if other.id != line.id), start=ZERO)
                share = cap.share_of_total / HUNDRED
                limit = cents(others * share / (1 - share))
                text = (f"{cap.share_of_total}% of the lines' total, this line included: "
                        f"{cap.share_of_total} / (100 - {cap.share_of_total}) x the other lines")
                inputs.append(Explanation(f"{line.id} cap {i + 1}", limit, formula=text,
                                          inputs=tuple(self.explain(o.id) for o in block.lines if o.id != line.id),
                                          label=cap.label))
            else:
                assert cap.amount is not None
                raw, text, cap_inputs = self.quantity(cap.amount, version, f"cap of {line.id}", {"rate": rate})
                limit = cents(raw)
                inputs.append(Explanation(f"{line.id} cap {i + 1}", limit, formula=text, inputs=cap_inputs,
                                          label=cap.label))
            cap_texts.append(f"cap {i + 1}")
            value = min(value, limit)
        formula = f"{rate_x.figure} x {line.collateral}, rounded half-up to the cent"
        if cap_texts:
            formula = f"min({formula}, {', '.join(cap_texts)})"
        return value, Explanation(line.id, value, formula=formula, inputs=tuple(inputs), clause=ref, label=line.label)

    def _reserve(self, reserve: Reserve, version: ClauseVersion, ref: dict):
        why = self.reserve_off(reserve)
        if why:
            return ZERO, Explanation(reserve.id, ZERO, formula=f"not in force: {why}", clause=ref, label=reserve.label)
        raw, text, inputs = self.quantity(reserve.amount, version, reserve.id)
        value = cents(raw)
        return value, Explanation(reserve.id, value, formula=text, inputs=inputs, clause=ref, label=reserve.label)

    def reserve_off(self, reserve: Reserve) -> str | None:
        """Why a reserve is not in force on the day (its dates, or its document delivered); None: it is."""
        if not reserve.in_force_by_date(self.day):
            return f"in force from {reserve.start or 'the start'} to {reserve.end or 'the end'}"
        condition = reserve.while_undelivered
        if condition is not None:
            if self.day <= condition.due:
                return f"applies only if {condition.document} is not delivered by {condition.due}"
            delivered = self.ledger.delivered((condition.document,), self.day)
            if delivered:
                return f"{condition.document} delivered on {delivered[0].date} ({delivered[0].where})"
        return None

    def _borrowing_base(self, block: BorrowingBase, ref: dict):
        lines = [self.explain(line.id) for line in block.lines]
        reserves = [self.explain(r.id) for r in block.reserves]
        total = (sum((self.value(line.id) for line in block.lines), start=ZERO)
                 - sum((self.value(r.id) for r in block.reserves), start=ZERO))
        formula = " + ".join(line.id for line in block.lines)
        if block.reserves:
            formula = f"({formula}) - ({' + '.join(r.id for r in block.reserves)})"
        return total, Explanation(block.id, total, formula=formula, inputs=tuple(lines + reserves), clause=ref,
                                  label=block.label)

    def usage_formula(self, block: Availability) -> Formula:
        tranche = self.agreement.vocabulary.get("tranches", block.tranche)
        return block.usage or parse_formula(tranche.name)

    def _availability(self, block: Availability, version: ClauseVersion, ref: dict):
        capacity, capacity_text, capacity_inputs = self.quantity(block.capacity, version, "capacity")
        capacity = cents(capacity)
        usage_f = self.usage_formula(block)
        usage, _, usage_inputs = self.quantity(usage_f, version, "usage")
        value = max(ZERO, capacity - usage)
        self.parts[block.id] = (capacity, usage)
        capacity_x = single(capacity_inputs, capacity_text) or Explanation(
            "capacity", capacity, formula=capacity_text, inputs=capacity_inputs)
        usage_x = single(usage_inputs, usage_f.text) or Explanation("usage", usage, formula=usage_f.text,
                                                                     inputs=usage_inputs)
        return value, Explanation(block.id, value, formula=f"max(0, {capacity_text} - {subtrahend(usage_f)})",
                                  inputs=(capacity_x, usage_x), clause=ref, label=f"availability of {block.tranche}")

    def _overadvance(self, name: str, block: Overadvance, version: ClauseVersion, ref: dict):
        availability = self.availability_of(block.tranche)
        if name == "overadvance_cap":
            raw, text, inputs = self.quantity(block.cap, version, "overadvance cap")
            value = cents(raw)
            return value, Explanation(name, value, formula=text, inputs=inputs, clause=ref)
        if name == "overadvance_limit":
            caps = [self.explain("overadvance_cap")]
            limits = [self.value("overadvance_cap")]
            for formula in block.ceilings:
                raw, text, inputs = self.quantity(formula, version, "overadvance ceiling")
                caps.append(single(inputs, text) or Explanation(text, cents(raw), formula=text, inputs=inputs))
                limits.append(cents(raw))
            value = min(limits)
            text = "overadvance_cap" if len(caps) == 1 else f"min({', '.join(x.figure for x in caps)})"
            return value, Explanation(name, value, formula=text, inputs=tuple(caps), clause=ref)
        usage_f = self.usage_formula(availability)
        usage, _, usage_inputs = self.quantity(usage_f, version, "usage")
        measure_f = block.measured_against or availability.capacity
        measure, measure_text, measure_inputs = self.quantity(measure_f, version, "measured_against")
        value = max(ZERO, usage - cents(measure))
        used = dict(version.interpretations_used)
        interpretation = next((interpretation_ref(self.agreement, i) for path, i in used.items()
                               if path.endswith(".measured_against")), None)
        usage_x = single(usage_inputs, usage_f.text) or Explanation("usage", usage, inputs=usage_inputs)
        measure_x = single(measure_inputs, measure_text) or Explanation(measure_text, cents(measure),
                                                                         formula=measure_text, inputs=measure_inputs)
        measured = subtrahend(measure_f) if isinstance(measure_f, Formula) else measure_text
        return value, Explanation(name, value, formula=f"max(0, {usage_f.text} - {measured})",
                                  inputs=(usage_x, measure_x), clause=ref, interpretation=interpretation)

    def availability_of(self, tranche: str) -> Availability:
        """The availability clause of a tranche in force on the day."""
        for defs in self.definitions().values():
            for d in defs:
                if isinstance(d.block, Availability) and d.block.tranche == tranche:
                    return d.block
        raise RecordError(f"no availability clause of {tranche} is in force on {self.day}")


def single(inputs: tuple[Explanation, ...], text: str) -> Explanation | None:
    """A formula that is one name explains as that name's own explanation."""
    return inputs[0] if len(inputs) == 1 and inputs[0].figure == text else None


def _undefined(agreement: Agreement, name: str, day: date) -> str:
    later = sorted((d for d in all_definitions(agreement) if d.id == name), key=lambda d: d.version.effective)
    if later and day < later[0].version.effective:
        version = later[0].version
        title = agreement.clauses[version.clause_id].title
        return (f"{title} ({version.clause_id}) before {version.effective} is not in the record "
                f"(asked for {day}: {name})")
    if later:
        return f"{name} is not defined on {day}: no clause in force defines it"
    return f"{name} is not a figure of this facility"
