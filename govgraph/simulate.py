"""`govgraph simulate`: a live feed for demos and load tests, through the same code path as real devices.

Everything goes to a running server over HTTP as GraphQL mutations, with tokens minted for the configured key:
a device token (the sensor gateway and the parking meters) and, per ward, a services officer's token. Nothing is
written to the stores directly, so every change is validated, committed and published on the event bus exactly
as a real one is, and subscribers see it.

What it sends, on each tick (``--speed`` ticks per second):

- readings for every station: flood depths and water levels (instantaneous, timestamped now); air quality and
  rainfall as hourly values (on the hour, once per station and hour: the hours after a station's latest reading
  up to the current one, so a feed started after a pause catches up). Values follow the time of day (traffic
  peaks at 7-9 and 17-19, night inversions), with the occasional pollution episode (PM several times higher for
  a few hours) and rainstorm (heavy rain, flood depths rising, then draining away);
- parking arrivals at facilities with free space and departures of the vehicles it parked;
- dossier progress: SUBMITTED → ACCEPTED → PROCESSING → COMPLETED, each step by an officer of the dossier's
  ward.

It stops by itself after ``--duration`` seconds and returns what it did.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from govgraph.auth.identity import Role, mint_token
from govgraph.config import Settings

HOUR = dt.timedelta(hours=1)
ICT = dt.timezone(dt.timedelta(hours=7))
PURPOSE = "live feed simulation (govgraph simulate)"
MAX_CATCH_UP_HOURS = 6
"""Hourly values a station may catch up per tick (a long pause is filled over several ticks)."""

STATIONS = """query($after: String) { stations(first: 100, after: $after) {
  nodes { code kind readings(last: 1) { measuredAt } }
  pageInfo { hasNextPage endCursor } } }"""
FACILITIES = """query($after: String) { parkingFacilities(first: 100, after: $after) {
  nodes { code kind capacity tariff { vehicleClass } availability { free } }
  pageInfo { hasNextPage endCursor } } }"""
DOSSIERS = """query($after: String) {
  dossiers(filter: {status: [SUBMITTED, ACCEPTED, PROCESSING]}, first: 100, after: $after) {
    nodes { code status agency { unit { code } } }
    pageInfo { hasNextPage endCursor } } }"""
INGEST = """mutation($in: ReadingsIngestInput!) {
  readingsIngest(input: $in) { batch { inserted } userErrors { code } } }"""
SESSION_START = """mutation($in: ParkingSessionStartInput!) {
  parkingSessionStart(input: $in) { session { id } userErrors { code } } }"""
SESSION_END = """mutation($in: ParkingSessionEndInput!) {
  parkingSessionEnd(input: $in) { session { id } userErrors { code } } }"""
DOSSIER_STEP = """mutation($in: Dossier%sInput!) { dossier%s(input: $in) { dossier { status } userErrors { code } } }"""
NEXT_STEP = {"SUBMITTED": "Accept", "ACCEPTED": "Process", "PROCESSING": "Complete"}
AFTER_STEP = {"Accept": "ACCEPTED", "Process": "PROCESSING", "Complete": "COMPLETED"}


class SimulationError(Exception):
    """The server refused the simulator (not running, wrong key, an unexpected GraphQL error)."""


@dataclass
class Station:
    code: str
    kind: str
    next_hour: dt.datetime | None = None
    """Hourly kinds: the next hour to report."""
    level: float = 0.0
    """Flood depth (cm) or water level (m) now."""


@dataclass
class Facility:
    code: str
    vehicle_class: str
    free: int


@dataclass
class Weather:
    """The city's weather and air: an episode or a storm lasts a few hours of wall-clock ticks."""

    episode_ticks: int = 0
    storm_ticks: int = 0


@dataclass
class Report:
    """What the simulator did, counted from the server's answers."""

    readings: int = 0
    sessions_started: int = 0
    sessions_ended: int = 0
    dossier_steps: int = 0
    episodes: int = 0
    storms: int = 0
    user_errors: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        errors = ", ".join(f"{k} {v}" for k, v in sorted(self.user_errors.items())) or "none"
        return (
            f"readings stored {self.readings}; parking sessions started {self.sessions_started}, ended "
            f"{self.sessions_ended}; dossier steps {self.dossier_steps}; pollution episodes {self.episodes}, "
            f"rainstorms {self.storms}; refused (userErrors) {errors}"
        )


def _iso(t: dt.datetime) -> str:
    return t.astimezone(ICT).isoformat()


def hourly_pm25(local_hour: int, rng: random.Random, episode: bool) -> float:
    """PM2.5 (µg/m³) by the hour of day: morning and evening traffic peaks, a night inversion, noise."""
    traffic = math.exp(-((local_hour - 8) ** 2) / 3) + 0.9 * math.exp(-((local_hour - 18) ** 2) / 4)
    night = 0.4 if local_hour >= 22 or local_hour < 5 else 0.0
    value = 28 * (1 + 1.2 * traffic + night) * rng.lognormvariate(0, 0.15)
    return round(value * (rng.uniform(3.0, 5.0) if episode else 1.0), 1)


class Simulator:
    def __init__(
        self,
        settings: Settings,
        url: str = "http://127.0.0.1:8000",
        speed: float = 1.0,
        duration: float = 60.0,
        seed: int = 2017,
    ) -> None:
        if speed <= 0 or duration <= 0:
            raise ValueError("speed and duration must be positive")
        self.settings = settings
        self.url = url.rstrip("/")
        self.speed = speed
        self.duration = duration
        self.rng = random.Random(seed)  # noqa: S311 - a reproducible feed, not security
        self.report = Report()
        self.weather = Weather()
        self.stations: list[Station] = []
        self.facilities: list[Facility] = []
        self.parked: list[tuple[str, str]] = []
        """(session id, facility code) of the vehicles this simulator parked."""
        self.dossiers: dict[str, tuple[str, str]] = {}
        """code -> (status, ward code) of dossiers still to move."""
        self._officers: dict[str, str] = {}
        ttl = int(duration) + 600
        self._device = mint_token(settings, Role.DEVICE, subject="simulator-gateway", ttl=ttl)
        self._admin = mint_token(settings, Role.ADMIN, subject="simulator", ttl=ttl, purpose=PURPOSE)
        self._ttl = ttl

    # --- HTTP ------------------------------------------------------------------------------------------------

    async def _gql(self, http: httpx.AsyncClient, token: str, query: str, variables: dict[str, Any]) -> Any:
        resp = await http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        if resp.status_code != 200:
            raise SimulationError(f"{self.url}/graphql answered {resp.status_code}: {resp.text[:300]}")
        body = resp.json()
        if body.get("errors"):
            raise SimulationError(f"GraphQL errors: {body['errors'][:2]}")
        return body["data"]

    async def _pages(self, http: httpx.AsyncClient, query: str, root: str) -> list[dict[str, Any]]:
        nodes: list[dict[str, Any]] = []
        after: str | None = None
        for _ in range(100):  # bounded: at most 10,000 rows
            page = (await self._gql(http, self._admin, query, {"after": after}))[root]
            nodes += page["nodes"]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        return nodes

    def _officer(self, ward: str) -> str:
        if ward not in self._officers:
            self._officers[ward] = mint_token(
                self.settings, Role.OFFICER, subject=f"simulator-officer-{ward}", unit=ward,
                domains=("services",), ttl=self._ttl, purpose=PURPOSE,
            )  # fmt: skip
        return self._officers[ward]

    def _errors(self, payload: dict[str, Any]) -> bool:
        for error in payload.get("userErrors") or []:
            self.report.user_errors[error["code"]] += 1
        return bool(payload.get("userErrors"))

    # --- setup -----------------------------------------------------------------------------------------------

    async def load(self, http: httpx.AsyncClient) -> None:
        now_hour = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
        for node in await self._pages(http, STATIONS, "stations"):
            latest = [dt.datetime.fromisoformat(r["measuredAt"]) for r in node["readings"]]
            station = Station(node["code"], node["kind"])
            if station.kind in ("AIR", "RAIN_GAUGE"):
                last = max(latest) if latest else now_hour - HOUR
                station.next_hour = max(last.astimezone(dt.UTC) + HOUR, now_hour - MAX_CATCH_UP_HOURS * HOUR)
            station.level = 0.0 if station.kind == "FLOOD_POINT" else round(self.rng.uniform(4.0, 6.0), 2)
            self.stations.append(station)
        for node in await self._pages(http, FACILITIES, "parkingFacilities"):
            vehicle = (node.get("tariff") or {}).get("vehicleClass") or "CAR"
            self.facilities.append(Facility(node["code"], vehicle, node["availability"]["free"]))
        for node in await self._pages(http, DOSSIERS, "dossiers"):
            ward = ((node.get("agency") or {}).get("unit") or {}).get("code")
            if ward:
                self.dossiers[node["code"]] = (node["status"], ward)

    # --- one tick --------------------------------------------------------------------------------------------

    def _readings(self, now: dt.datetime) -> list[dict[str, Any]]:
        w = self.weather
        if w.episode_ticks == 0 and self.rng.random() < 0.01:
            w.episode_ticks = self.rng.randint(20, 60)
            self.report.episodes += 1
        if w.storm_ticks == 0 and self.rng.random() < 0.01:
            w.storm_ticks = self.rng.randint(20, 60)
            self.report.storms += 1
        episode, storm = w.episode_ticks > 0, w.storm_ticks > 0
        w.episode_ticks, w.storm_ticks = max(0, w.episode_ticks - 1), max(0, w.storm_ticks - 1)
        out: list[dict[str, Any]] = []
        stamp = now.replace(microsecond=now.microsecond // 1000 * 1000)
        for s in self.stations:
            if s.kind == "FLOOD_POINT":
                s.level = max(0.0, s.level + (self.rng.uniform(1.0, 4.0) if storm else -self.rng.uniform(0.5, 2.0)))
                out.append(self._reading(s.code, stamp, "DEPTH_CM", round(s.level, 1)))
            elif s.kind == "WATER_LEVEL":
                s.level += self.rng.uniform(0.0, 0.03) if storm else self.rng.uniform(-0.01, 0.008)
                out.append(self._reading(s.code, stamp, "LEVEL_M", round(s.level, 3)))
            elif s.next_hour is not None:
                for _ in range(MAX_CATCH_UP_HOURS):
                    if s.next_hour > now:
                        break
                    out += self._hourly(s, s.next_hour, episode, storm)
                    s.next_hour += HOUR
        return out

    def _hourly(self, s: Station, hour: dt.datetime, episode: bool, storm: bool) -> list[dict[str, Any]]:
        if s.kind == "RAIN_GAUGE":
            mm = self.rng.uniform(15, 60) if storm else (self.rng.uniform(0, 2) if self.rng.random() < 0.1 else 0.0)
            return [self._reading(s.code, hour, "RAINFALL_MM", round(mm, 1))]
        local = hour.astimezone(ICT).hour
        pm25 = hourly_pm25(local, self.rng, episode) * (0.4 if storm else 1.0)  # rain washes the air
        sun = max(0.0, math.sin(math.pi * (local - 6) / 12))
        return [
            self._reading(s.code, hour, "PM2_5", pm25),
            self._reading(s.code, hour, "PM10", round(pm25 * self.rng.uniform(1.4, 1.9), 1)),
            self._reading(s.code, hour, "NO2", round(20 + 40 * pm25 / 60 * self.rng.uniform(0.8, 1.2), 1)),
            self._reading(s.code, hour, "O3", round(30 + 90 * sun * self.rng.uniform(0.8, 1.2), 1)),
        ]

    @staticmethod
    def _reading(code: str, at: dt.datetime, parameter: str, value: float) -> dict[str, Any]:
        return {"stationCode": code, "measuredAt": _iso(at), "parameter": parameter, "value": value}

    def _plate(self, vehicle: str) -> str:
        region = self.rng.choice(("29", "30", "31", "33", "40"))
        digits = f"{self.rng.randint(100, 999)}.{self.rng.randint(10, 99)}"
        if vehicle == "MOTORBIKE":
            return f"{region}-{self.rng.choice('BCDEFGHKLM')}{self.rng.randint(1, 9)} {digits}"
        return f"{region}{self.rng.choice('ABCDEFGHK')}-{digits}"

    async def tick(self, http: httpx.AsyncClient) -> None:
        now = dt.datetime.now(dt.UTC)
        readings = self._readings(now)
        if readings:
            payload = (await self._gql(http, self._device, INGEST, {"in": {"readings": readings}}))["readingsIngest"]
            self._errors(payload)
            if payload["batch"] is not None:
                self.report.readings += payload["batch"]["inserted"]
        await self._parking(http)
        await self._dossier(http)

    async def _parking(self, http: httpx.AsyncClient) -> None:
        open_spaces = [f for f in self.facilities if f.free > 0 and f.vehicle_class != "BICYCLE"]
        for _ in range(self.rng.randint(0, 3)):
            if not open_spaces:
                break
            f = self.rng.choice(open_spaces)
            data = {"facilityCode": f.code, "plate": self._plate(f.vehicle_class), "vehicleClass": f.vehicle_class,
                    "channel": self.rng.choice(("SMS", "APP", "CARD", "STAFF"))}  # fmt: skip
            payload = (await self._gql(http, self._device, SESSION_START, {"in": data}))["parkingSessionStart"]
            if not self._errors(payload) and payload["session"] is not None:
                self.parked.append((payload["session"]["id"], f.code))
                f.free -= 1
                self.report.sessions_started += 1
        for _ in range(self.rng.randint(0, 2)):
            if len(self.parked) < 3:
                break
            session_id, code = self.parked.pop(self.rng.randrange(len(self.parked)))
            payload = (await self._gql(http, self._device, SESSION_END, {"in": {"sessionId": session_id}}))[
                "parkingSessionEnd"
            ]
            if not self._errors(payload) and payload["session"] is not None:
                self.report.sessions_ended += 1
                for f in self.facilities:
                    if f.code == code:
                        f.free += 1

    async def _dossier(self, http: httpx.AsyncClient) -> None:
        if not self.dossiers or self.rng.random() > 0.5:
            return
        code = self.rng.choice(sorted(self.dossiers))
        status, ward = self.dossiers[code]
        step = NEXT_STEP[status]
        data = await self._gql(http, self._officer(ward), DOSSIER_STEP % (step, step), {"in": {"code": code}})
        payload = data[f"dossier{step}"]
        if self._errors(payload) or payload["dossier"] is None:
            del self.dossiers[code]  # e.g. late: completing needs the written apology; leave it to a person
            return
        self.report.dossier_steps += 1
        after = AFTER_STEP[step]
        if after in NEXT_STEP:
            self.dossiers[code] = (after, ward)
        else:
            del self.dossiers[code]

    # --- the loop --------------------------------------------------------------------------------------------

    async def run(self) -> Report:
        deadline = time.monotonic() + self.duration
        interval = 1.0 / self.speed
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as http:
            try:
                await self.load(http)
            except httpx.HTTPError as exc:
                raise SimulationError(f"cannot reach {self.url}: {exc}") from exc
            while time.monotonic() < deadline:
                started = time.monotonic()
                await self.tick(http)
                await asyncio.sleep(max(0.0, min(interval - (time.monotonic() - started), deadline - time.monotonic())))
        return self.report


async def simulate(
    settings: Settings, url: str = "http://127.0.0.1:8000", speed: float = 1.0, duration: float = 60.0, seed: int = 2017
) -> Report:
    """Drive the server at ``url`` for ``duration`` seconds, ``speed`` ticks per second."""
    return await Simulator(settings, url, speed, duration, seed).run()
