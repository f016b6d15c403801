"""A seeded, offline labelled PII set made with Faker: sentences with known entity spans.

Used by the demo-data generator (the ``pii-prompts`` dataset). Not used to measure the detector:
that is done on an independent set Assay did not generate (``_pii_eval``), so the self-check
does not grade the detector on the templates the demo scans.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from importlib.metadata import version

from faker import Faker

SET_VERSION = "faker-pii-v1"
LABELLED_TYPES = ("PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IP_ADDRESS",
                  "LOCATION", "IBAN_CODE")

# Each template mixes entity slots {TYPE} with support-desk wording.
TEMPLATES = [
    "Hi, my name is {PERSON} and I can't log in to my account.",
    "Please send the invoice to {EMAIL_ADDRESS} before Friday.",
    "You can reach me at {PHONE_NUMBER} after 5pm.",
    "My card number is {CREDIT_CARD}, why was it charged twice?",
    "For verification, my social security number is {US_SSN}.",
    "The login attempt came from IP address {IP_ADDRESS} last night.",
    "I moved to {LOCATION} last month, please update my address.",
    "{PERSON} called about the refund; call back on {PHONE_NUMBER}.",
    "Customer {PERSON} ({EMAIL_ADDRESS}) reported a billing error.",
    "Refund the payment to IBAN {IBAN_CODE} for {PERSON}.",
    "Ship the replacement to our office in {LOCATION}, attention {PERSON}.",
    "Dear {PERSON}, we received your message sent from {EMAIL_ADDRESS}.",
    "The card ending in the number {CREDIT_CARD} belongs to {PERSON}.",
    "Our server at {IP_ADDRESS} blocked the user {PERSON}.",
    "Contact {PERSON} by phone {PHONE_NUMBER} or by email {EMAIL_ADDRESS}.",
    "SSN {US_SSN} was entered for the applicant {PERSON}.",
    "I live in {LOCATION} and my phone is {PHONE_NUMBER}.",
    "Thanks for your help yesterday, the issue is solved now.",
    "The order arrived late and the box was damaged.",
    "Can you explain how the premium plan differs from the basic one?",
]


@dataclass
class LabelledText:
    text: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, entity_type)


def fake_value(fake: Faker, entity: str) -> str:
    """One realistic value of an entity type (phone extensions dropped)."""
    if entity == "PERSON":
        return fake.name()
    if entity == "EMAIL_ADDRESS":
        return fake.email()
    if entity == "PHONE_NUMBER":
        return re.sub(r"\s*x\d+$", "", fake.phone_number())
    if entity == "CREDIT_CARD":
        return fake.credit_card_number(card_type=fake.random_element(["visa", "mastercard", "amex", "discover"]))
    if entity == "US_SSN":
        return fake.ssn()
    if entity == "IP_ADDRESS":
        return fake.ipv4_public() if fake.random_int(0, 3) else fake.ipv6()
    if entity == "LOCATION":
        return fake.random_element([fake.city(), fake.country(), fake.state()])
    if entity == "IBAN_CODE":
        return fake.iban()
    raise ValueError(f"no fake value for {entity}")


def fill(template: str, fake: Faker) -> LabelledText:
    """Fill a template's {TYPE} slots, recording each value's character span."""
    out, spans, pos = [], [], 0
    for match in re.finditer(r"\{([A-Z_]+)\}", template):
        out.append(template[pos:match.start()])
        start = sum(len(p) for p in out)
        value = fake_value(fake, match.group(1))
        out.append(value)
        spans.append((start, start + len(value), match.group(1)))
        pos = match.end()
    out.append(template[pos:])
    return LabelledText("".join(out), spans)


def labelled_set(n: int = 160, seed: int = 7) -> list[LabelledText]:
    """``n`` labelled sentences, cycling through the templates; same seed, same set."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    return [fill(TEMPLATES[i % len(TEMPLATES)], fake) for i in range(n)]


def set_id(items: list[LabelledText]) -> str:
    """Name and content hash of a labelled set, e.g. 'faker-pii-v1:faker-40.5:1a2b3c4d5e6f'."""
    blob = json.dumps([[t.text, t.spans] for t in items], sort_keys=True).encode()
    return f"{SET_VERSION}:faker-{version('faker')}:{hashlib.sha256(blob).hexdigest()[:12]}"
