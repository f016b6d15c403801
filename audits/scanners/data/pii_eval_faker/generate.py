"""Generate Assay's SECOND labelled PII set: a different generator (Faker, several locales) and
templates written from scratch for it, full of numbers that are not PII (timestamps, dates, times,
coordinates, decimals, prices, versions, street numbers, order numbers). The detector is never tuned
on it: it is only measured (``_pii_eval.second_set``, ``benchmarks/bench_pii.py``).

    python audits/scanners/data/pii_eval_faker/generate.py   # writes faker_set.jsonl beside it

Seeded (``SEED``); the file is reproducible with the same Faker version (recorded in each line's
``source``). Labels: PERSON, LOCATION (city, state, country), EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD,
IBAN_CODE, US_SSN, IP_ADDRESS; STREET_ADDRESS spans are "don't care"; timestamps, dates, times,
coordinates and other numbers are left unlabelled, so a detector that flags one pays a false positive.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import faker
from faker import Faker

SEED = 20261205
N = 1000
OUT = Path(__file__).with_name("faker_set.jsonl")
# where phone numbers come from: US-heavy, as the failures reported on issue 20 were
PHONE_LOCALES = [("en_US", 10), ("en_CA", 2), ("en_GB", 2), ("fr_FR", 1), ("de_DE", 1), ("en_AU", 1), ("nl_NL", 1),
                 ("en_IN", 1)]

# slots: see _value; labelled ones in ENTITY
TEMPLATES = [
    "Hey, it's {name}. My number changed, use {phone} from now on.",
    "Caller {name} left a voicemail at {timestamp} asking to be called back on {phone}.",
    "{name} ({email}) reported the outage at {timestamp}; the last ping from {ip} was {decimal} ms.",
    "Ship to: {name}, {street}, {city}, {state}. Contact phone {phone}.",
    "We moved from {city} to {city2} last spring. You can still text me at {phone}.",
    "Your refund of ${price} was sent to IBAN {iban} on {date}.",
    "The card ending {lastfour} was declined; the full number on file is {card}.",
    "Applicant {name}, SSN {ssn}, born {date}, currently living in {city}, {country}.",
    "Sensor 14 at {lat}, {lon} read {decimal} degrees at {timestamp}.",
    "Meet me at {street} around {time}, or ring {phone} if you are late.",
    "Order {order} for {name} was packed at {timestamp} and leaves {city} tomorrow.",
    "Log line: {timestamp} login ok user={email} src={ip} latency={decimal}",
    "Please update my details: email {email}, mobile {phone}, address {street}, {city}.",
    "The house at {building} {street_name} sold for ${price} on {date}.",
    "Rooms {building} {building2} and {small} are free on {date} from {time}.",
    "GPS fix: lat {lat} lon {lon}, altitude {decimal} m, accuracy {small} m.",
    "{name} will present the Q{small} numbers ({decimal}% growth) in {city} on {date}.",
    "Thanks {first}! I forwarded your note to {name} ({phone}).",
    "Invoice {order}: {small} items at ${price} each, due {date}.",
    "Version {version} was released on {date}; build {order} fixes the crash at {timestamp}.",
    "Dr. {last} can see you on {date} at {time}; the clinic number is {phone}.",
    "My friend {first} lives in {country} now, near {city}.",
    "Wire the deposit to {iban} (account holder {name}) before {date}.",
    "Pay with card {card}, expiry {expiry}, and send the receipt to {email}.",
    "Server {ip} restarted at {timestamp} after {small} failed health checks.",
    "Measurements: {decimal}, {decimal2}, {decimal3} (mean {decimal4}).",
    "Please call {phone} or {phone2} between {time} and {time2}.",
    "Reach {name} at {email} or on {phone}; she is based in {city}, {state}.",
    "Tracking: parcel {order} left the {city} hub on {date}.",
    "The new office is at {street}, {city}; main line {phone}.",
    "Hi {first}, the technician arrives {date} between {time} and {time2}.",
    "Coordinates of the meeting point: {lat}, {lon} (north gate of the park in {city}).",
    "{name} paid ${price} with {card} on {timestamp}.",
    "Case {order}: customer {name} says her SSN {ssn} appears on another account.",
    "Temperature in {city} rose from {decimal} to {decimal2} between {time} and {time2}.",
    "Contact: {name}\nPhone: {phone}\nEmail: {email}\nAddress: {street}, {city}",
    "Flight {flight} from {city} lands at {time} on {date}; seat {small}C.",
    "The model scored {decimal} on {date} and {decimal2} a week later.",
    "Ask {first} at extension desk {small}, or dial {phone} directly.",
    "IP {ip} and {ip2} were blocked at {timestamp} for {small} minutes.",
]

ENTITY = {"name": "PERSON", "first": "PERSON", "last": "PERSON", "city": "LOCATION", "city2": "LOCATION",
          "state": "LOCATION", "country": "LOCATION", "email": "EMAIL_ADDRESS", "phone": "PHONE_NUMBER",
          "phone2": "PHONE_NUMBER", "card": "CREDIT_CARD", "iban": "IBAN_CODE", "ssn": "US_SSN", "ip": "IP_ADDRESS",
          "ip2": "IP_ADDRESS", "street": "STREET_ADDRESS"}  # dates, times, coordinates, numbers: unlabelled


def _phone(rng: random.Random, fakes: dict[str, Faker]) -> str:
    locale = rng.choices([loc for loc, _ in PHONE_LOCALES], [w for _, w in PHONE_LOCALES])[0]
    return fakes[locale].phone_number()


def _value(slot: str, fake: Faker, rng: random.Random, fakes: dict[str, Faker]) -> str:
    base = re.sub(r"\d$", "", slot)
    makers = {
        "name": fake.name, "first": fake.first_name, "last": fake.last_name, "city": fake.city, "state": fake.state,
        "country": fake.country, "email": fake.email, "phone": lambda: _phone(rng, fakes),
        "card": fake.credit_card_number, "iban": fake.iban, "ssn": fakes["en_US"].ssn, "ip": lambda: (
            fake.ipv4() if rng.random() < 0.8 else fake.ipv6()), "street": fake.street_address,
        "street_name": fake.street_name, "building": fake.building_number,
        "timestamp": lambda: fake.date_time().isoformat(" ", timespec=rng.choice(["seconds", "minutes", "hours"])),
        "date": lambda: fake.date(pattern=rng.choice(["%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%B %d, %Y"])),
        "time": lambda: fake.time(pattern=rng.choice(["%H:%M", "%H:%M:%S", "%I:%M %p"])),
        "expiry": fake.credit_card_expire, "lat": lambda: str(fake.latitude()), "lon": lambda: str(fake.longitude()),
        "decimal": lambda: str(round(rng.uniform(0, 10 ** rng.randint(1, 5)), rng.randint(1, 6))),
        "price": lambda: f"{rng.uniform(1, 99999):,.2f}", "small": lambda: str(rng.randint(1, 99)),
        "order": lambda: rng.choice([f"{rng.randint(10000, 99999)}-{rng.randint(1000, 9999)}",
                                     f"#{rng.randint(10 ** 7, 10 ** 9)}", f"A{rng.randint(10 ** 5, 10 ** 6)}"]),
        "version": lambda: f"{rng.randint(1, 20)}.{rng.randint(0, 30)}.{rng.randint(0, 99)}",
        "lastfour": lambda: str(rng.randint(1000, 9999)), "flight": lambda: f"{fake.lexify('??').upper()}{rng.randint(10, 9999)}",
    }
    return makers[base]()


def generate() -> list[dict]:
    rng = random.Random(SEED)
    fakes = {loc: Faker(loc) for loc, _ in PHONE_LOCALES}
    for i, f in enumerate(fakes.values()):
        f.seed_instance(SEED + i)
    fake = Faker(["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT"])
    fake.seed_instance(SEED)
    rows, seen = [], set()
    while len(rows) < N:
        k = rng.randrange(len(TEMPLATES))
        template = TEMPLATES[k]
        text, spans, pos = "", [], 0
        for m in re.finditer(r"\{(\w+)\}", template):
            text += template[pos:m.start()]
            value = _value(m.group(1), fake, rng, fakes).replace("\n", ", ")
            label = ENTITY.get(m.group(1))
            if label:
                spans.append([len(text), len(text) + len(value), label])
            text += value
            pos = m.end()
        text += template[pos:]
        if text in seen:
            continue
        seen.add(text)
        rows.append({"text": text, "spans": spans, "source": f"faker-{faker.VERSION}:assay-template-{k}"})
    return rows


if __name__ == "__main__":
    rows = generate()
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"wrote {len(rows)} texts to {OUT}")
