"""The exercise page: a Starlette app over one Exercise.

Every view (``/team/JPN``, ``/facilitator``, ``/``) is one page whose ``#exercise`` part is
re-rendered after each move and swapped in by htmx (vendored in ``static/``; nothing is
fetched from the network). Browsers poll ``/fragment`` with the version they show; the
server answers 204 until another move changes it, so every browser sees a move within
the poll interval.

Safety: the browser names teams, pools, flags and move numbers, never a path: files are
written only inside the exercise folder given on the command line. Every form post carries
the page's CSRF token (a random secret of this server run), Host headers are checked (a
page on another site cannot reach this server by DNS rebinding) and every text from the
tables and missions is escaped by Jinja2's autoescape.
"""

from __future__ import annotations

import hmac
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from planner.reports.theatre import theatre_map
from planner.results.plan import Plan
from planner.serve.background import Background
from planner.serve.exercise import FACILITATOR, OWNERS, POOL_COLUMNS, Change, Exercise, MoveError

STATIC = Path(__file__).parent / "static"
POLL_MS = 500
LOG_ROWS = 25  # the latest moves listed in the page's log (a long game stays quick to draw)
ELAPSED = "\x00elapsed\x00"  # replaced by the time to the rendered fragment
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' "
    "'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def environment() -> Environment:
    from planner.reports.report import environment as report_environment

    env = Environment(loader=PackageLoader("planner.serve", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(report_environment().filters)
    return env


class Page:
    """What the templates need of the exercise for one view and phase."""

    def __init__(self, exercise: Exercise, view: str, phase: str | None) -> None:
        self.exercise = exercise
        self.view = view
        self.plan: Plan = exercise.plan()
        phases = list(self.plan.mission.phases)
        self.phases = phases
        self.phase = phase if phase in phases else phases[-1]
        self.colours = colours(exercise.countries)

    @property
    def map(self) -> Markup:
        return theatre_map(self.plan, self.phase, self.colours)

    @property
    def previous(self) -> dict[str, float]:
        """Cost shares before the current move (to show what it changed)."""
        line = self.exercise.line(self.exercise.head)
        return line[-1].before.shares if line else {}

    def binds(self) -> list[dict[str, Any]]:
        """Policies, and pools of the phase shown, at their limit with a price, dearest
        first."""
        rows = [c for c in self.plan.constraints
                if (c.family == "policy" or (c.family == "pool"
                                             and c.keys.get("phase") == self.phase))
                and c.binding and abs(c.dual or 0.0) > 1e-6]
        rows.sort(key=lambda c: -abs(c.dual or 0.0))
        return [{"name": c.name, "kind": c.kind, "sentence": c.sentence, "price": c.dual,
                 "source": c.source} for c in rows[:10]]

    def pools(self) -> list[dict[str, Any]]:
        if self.view == FACILITATOR or self.view not in self.exercise.countries:
            return []
        return [{"pool": p, **{c: self.exercise.value(self.view, p, c) for c in POOL_COLUMNS}}
                for p in self.exercise.pools_of(self.view)]

    def flags(self) -> list[dict[str, Any]]:
        """The flags this view decides, with their values and the current one."""
        declared = self.exercise.capabilities.standing.flags
        current = self.exercise.flags()
        return [{"name": name, "values": flag.values, "current": current.get(name),
                 "description": flag.description} for name, flag in declared.items()
                if self.view == FACILITATOR or self.view in OWNERS.get(name, ())]


def colours(countries: list[str]) -> dict[str, str]:
    from planner.reports.charts import PALETTE

    return {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(countries)}


def create_app(exercise: Exercise, hosts: list[str] | None = None) -> Starlette:
    """The app; ``hosts`` are the Host headers it answers (loopback names by default)."""
    env = environment()
    token = secrets.token_urlsafe(32)
    background = Background()
    views = [*exercise.countries, FACILITATOR]

    def render(request: Request, view: str, phase: str | None, message: list[str] | None,
               started: float, full: bool, status: int = 200,
               part: str = "") -> HTMLResponse:
        with exercise.lock:
            page = Page(exercise, view, phase)
            solved = exercise.last
            template = env.get_template(part or ("page.html.j2" if full
                                                 else "fragment.html.j2"))
            text = template.render(page=page, ex=exercise, token=token, views=views,
                                   message=message or [], poll_ms=POLL_MS,
                                   log_rows=LOG_ROWS, solved=solved, elapsed=ELAPSED,
                                   query=urlencode, background=background,
                                   alone=bool(part))
        elapsed = f"{1000 * (time.perf_counter() - started):.0f} ms"
        return HTMLResponse(text.replace(ELAPSED, elapsed), status_code=status,
                            headers=SECURITY_HEADERS)

    def view_of(request: Request) -> str:
        view = request.path_params.get("view") or request.query_params.get("view") or ""
        if view not in views:
            raise MoveError([f"no team '{view}'"])
        return view

    async def index(request: Request) -> Response:
        started = time.perf_counter()
        return render(request, FACILITATOR, request.query_params.get("phase"), None,
                      started, True)

    async def team(request: Request) -> Response:
        started = time.perf_counter()
        view = request.path_params["view"]
        if view not in views:
            return HTMLResponse("No such team.", status_code=404, headers=SECURITY_HEADERS)
        return render(request, view, request.query_params.get("phase"), None, started, True)

    async def fragment(request: Request) -> Response:
        started = time.perf_counter()
        try:
            view = view_of(request)
        except MoveError:
            return HTMLResponse("No such team.", status_code=404, headers=SECURITY_HEADERS)
        if request.query_params.get("seen") == str(exercise.version):
            return Response(status_code=204)
        return render(request, view, request.query_params.get("phase"), None, started, False)

    async def form(request: Request) -> dict[str, str]:
        """A urlencoded form, one value per field, after the CSRF token is checked."""
        fields = {k: v[-1] for k, v in parse_qs((await request.body()).decode("utf-8",
                                                "replace"), keep_blank_values=True).items()}
        # The header comes from the page as first served, the field from the latest
        # fragment: a page open across a server restart gets the new token by polling.
        given = [request.headers.get("x-csrf-token", ""), fields.get("csrf", "")]
        if not any(hmac.compare_digest(g.encode(), token.encode()) for g in given):
            raise PermissionError("the form's token is missing or stale: reload the page")
        return fields

    def answer(request: Request, view: str, fields: dict[str, str],
               messages: list[str] | None, started: float) -> Response:
        if "hx-request" not in request.headers:  # a plain form post: back to the page
            target = "/" if view == FACILITATOR else f"/team/{view}"
            return RedirectResponse(target, status_code=303)
        part = "analysis.html.j2" if request.url.path.startswith("/analysis") else ""
        return render(request, view, fields.get("phase"), messages, started, False,
                      part=part)

    def posting(action: Any) -> Any:
        async def handler(request: Request) -> Response:
            started = time.perf_counter()
            try:
                fields = await form(request)
            except PermissionError as exc:
                return HTMLResponse(str(exc), status_code=403, headers=SECURITY_HEADERS)
            try:
                view = view_of(request) if "view" in request.path_params else \
                    fields.get("view", "")
                if view not in views:
                    raise MoveError([f"no team '{view}'"])
                messages = action(view, fields)
            except MoveError as exc:
                return answer(request, view if view in views else FACILITATOR, fields,
                              exc.messages, started)
            return answer(request, view, fields, messages, started)
        return handler

    def move(view: str, fields: dict[str, str]) -> list[str]:
        kind = fields.get("kind")
        if kind == "pool":
            values, problems = {}, []
            for column in POOL_COLUMNS:
                text = fields.get(column, "").strip()
                if not text:
                    continue
                try:
                    values[column] = float(text)
                except ValueError:
                    problems.append(f"{fields.get('pool', '')} {column}: '{text}' is not a "
                                    "number")
            if problems:
                raise MoveError(problems)
            change = Change(kind="pool", country=view, pool=fields.get("pool", ""),
                            values=values)
        elif kind == "flag":
            change = Change(kind="flag", flag=fields.get("flag", ""),
                            setting=fields.get("setting", ""))
        else:
            raise MoveError(["unknown kind of move"])
        played = exercise.move(view, change)
        return [f"Move {played.number}: {played.change.describe()}."]

    def undo(view: str, fields: dict[str, str]) -> list[str]:
        number = exercise.undo()
        return [f"Undone: play is back at {'the start' if not number else f'move {number}'}."]

    def go_to(view: str, fields: dict[str, str]) -> list[str]:
        try:
            number = int(fields.get("move", ""))
        except ValueError:
            raise MoveError(["a move is given by its number"]) from None
        exercise.go_to(number)
        return [f"Play is at {'the start' if not number else f'move {number}'}; the next move "
                "starts a branch from there."]

    def export(view: str, fields: dict[str, str]) -> list[str]:
        written = export_current(exercise)
        return [f"Plan folder and report of move {exercise.head} written to {written} in the "
                "exercise folder."]

    def analyse(view: str, fields: dict[str, str]) -> list[str]:
        with exercise.lock:
            state = exercise.state(exercise.head)
            instance = exercise.engine.instance(state.pools, state.flags)
            try:
                background.start(instance, exercise.head)
            except RuntimeError as exc:
                raise MoveError([str(exc)]) from None
        return []

    def cancel(view: str, fields: dict[str, str]) -> list[str]:
        background.stop()
        background.wait(5)
        return []

    async def analysis(request: Request) -> Response:
        started = time.perf_counter()
        try:
            view = view_of(request)
        except MoveError:
            return HTMLResponse("No such team.", status_code=404, headers=SECURITY_HEADERS)
        return render(request, view, None, None, started, False, part="analysis.html.j2")

    async def report(request: Request) -> Response:
        from planner.reports import report as reports

        number = move_number(request.query_params.get("move"), exercise)
        if number is None:
            return HTMLResponse("No such move.", status_code=404, headers=SECURITY_HEADERS)
        text = reports.render(reports.report_document(named(exercise, number)), "report",
                              "html")
        return HTMLResponse(text, headers=SECURITY_HEADERS)

    async def compare(request: Request) -> Response:
        from planner.reports import report as reports

        numbers = [move_number(request.query_params.get(k), exercise) for k in ("a", "b")]
        if None in numbers:
            return HTMLResponse("Compare two moves of the log.", status_code=404,
                                headers=SECURITY_HEADERS)
        plans = [named(exercise, n) for n in numbers if n is not None]
        text = reports.render(reports.compare_document(plans), "compare", "html")
        return HTMLResponse(text, headers=SECURITY_HEADERS)

    async def no_icon(request: Request) -> Response:
        return Response(status_code=204)

    routes = [
        Route("/", index),
        Route("/favicon.ico", no_icon),
        Route("/team/{view}", team),
        Route("/facilitator", index),
        Route("/fragment", fragment),
        Route("/move", posting(move), methods=["POST"]),
        Route("/undo", posting(undo), methods=["POST"]),
        Route("/goto", posting(go_to), methods=["POST"]),
        Route("/export", posting(export), methods=["POST"]),
        Route("/analysis", analysis),
        Route("/analysis/start", posting(analyse), methods=["POST"]),
        Route("/analysis/cancel", posting(cancel), methods=["POST"]),
        Route("/report", report),
        Route("/compare", compare),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    allowed = hosts or ["127.0.0.1", "localhost", "[::1]", "::1"]
    return Starlette(routes=routes,
                     middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=allowed)])


def move_number(text: str | None, exercise: Exercise) -> int | None:
    """A move of the log (0: the start) from a query value, or None."""
    try:
        number = int(text or "")
    except ValueError:
        return None
    return number if number == 0 or number in {m.number for m in exercise.moves} else None


def named(exercise: Exercise, number: int) -> Plan:
    """The plan at a move, its mission named after the move so reports tell moves apart."""
    plan = exercise.plan(number)
    name = f"{plan.mission.name} at " + ("the start" if not number else f"move {number}")
    return plan.model_copy(update={"mission": plan.mission.model_copy(update={"name": name})})


def export_current(exercise: Exercise) -> str:
    """The current plan folder and HTML report, under ``exports/move-N`` of the exercise
    folder (replaced when exported again: a plan of the same move is the same plan)."""
    from planner.reports import report as reports
    from planner.reports.output import save_plan
    from planner.reports.publish import write_text

    with exercise.lock:
        number = exercise.head
        plan = exercise.plan(number)
        relative = Path("exports") / f"move-{number}"
        folder = exercise.folder / relative
        save_plan(plan, folder / "plan", force=True)
        write_text(folder / "report.html",
                   reports.render(reports.report_document(named(exercise, number)), "report",
                                  "html"))
    return f"{relative.as_posix()}/ (plan/ and report.html)"
