"""Hostile sample files for the scaffold's tests: real-world headers (spaces, `$`, mixed case, a leading
digit, a dot), a non-ISO timestamp, an int column with an empty value, quoted commas, an id column; and a
JSON-lines sample with mixed offsets, a JSON null, an empty string and a nested value."""

from __future__ import annotations

from pathlib import Path

FLIGHTS_CSV = """\
Flight ID,Carrier,Dep Time,Arrival Delay ($min),Distance (mi),Fare $,CustomerID,2nd.Stop,Cancelled,Booked On,Notes,Zip
F001,AA,2001/01/01 00:47,12,1200.5,199.90,C1,ORD,false,2000-12-01,"window seat",02134
F002,DL,2001/01/01 06:10,,800.25,89.00,C2,,true,2000-12-03,,10001
F003,AA,2001/01/02 13:05,45,1200.5,210.50,C1,DEN,false,2000-12-10,"late, very",02134

F004,UA,2001/01/03 23:59,-3,430.0,59.99,C3,,false,2000-12-11,ok,60601
F005,DL,2001/01/15 08:00,17,800.25,95.10,C2,ATL,false,2000-12-20,,10001
F006,AA,2001/02/01 10:30,0,1200.5,180.00,C4,,false,2001-01-05,x,02134
"""

EVENTS_JSONL = """\
{"eventId": "e1", "ts": "2026-01-02T10:00:00Z", "user": "u1", "amount": 12.5, "country": "FR", "isMobile": true, "meta": {"a": 1}, "status": "ok"}
{"eventId": "e2", "ts": "2026-01-02T11:30:00Z", "user": "u2", "amount": 3, "country": "DE", "isMobile": false, "status": "failed"}
{"eventId": "e3", "ts": "2026-01-03T09:00:00+01:00", "user": "u1", "amount": null, "country": "FR", "isMobile": true, "status": "ok"}
{"eventId": "e4", "ts": "2026-01-05T23:00:00Z", "user": "u3", "amount": 99.99, "country": "", "isMobile": false, "status": "ok"}

{"eventId": "e5", "ts": "2026-01-20T00:00:01Z", "user": "u2", "amount": 7.25, "country": "DE", "isMobile": true, "status": "failed"}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def flights(folder: Path) -> Path:
    return write(folder, "flights.csv", FLIGHTS_CSV)


def events(folder: Path) -> Path:
    return write(folder, "events.jsonl", EVENTS_JSONL)
