"""What does Japan-Korea intelligence sharing (GSOMIA) buy in a Taiwan contingency?

The tutorial's question (docs/tutorial.md), answered from Python instead of the command
line: the Taiwan contingency with a gap in ISR over the Korean Peninsula weighted three
times as heavily (the tutorial's taiwan-warning), solved with GSOMIA active and suspended,
today and once Korea's P-3C patrol aircraft have retired (around 2030). Run it with
`python docs/examples/gsomia.py`; the tests run it too.
"""

import planner.api as pl

mission = pl.load_mission("taiwan-contingency")
warning = mission.model_copy(update={"name": "taiwan_warning", "requirements": [
    r.model_copy(update={"penalty": 3000}) if (r.task, r.region) == ("isr", "korean_peninsula")
    else r for r in mission.requirements]})
retired = [{"country": "KOR", "pool": "p3c_patrol_aircraft", "remove": True,
            "source": "public_facts §2 'ROK MPA' [H/M]: 16 P-3C/CK to serve to ~2030"}]
plans = {(era, gsomia): pl.solve(warning, flags={"gsomia": gsomia},
                                 overrides=retired if era == "2030" else [])
         for era in ("today", "2030") for gsomia in ("active", "suspended")}
table = pl.compare(*plans.values())
table.insert(0, "era", [era for era, _ in plans])
print(table[["era", "plan", "objective", "requirements_met"]].to_string(index=False))
for era in ("today", "2030"):
    worth = plans[era, "suspended"].objective - plans[era, "active"].objective
    print(f"{era}: GSOMIA is worth {worth:,.1f} USD m to the alliance")
