"""Which phone numbers can take a text message.

A text to an office landline is lost, and it costs the customer the rung that would have reached them. A
number takes texts when its label says so (mobile, cell, SMS), never when its label says it is a landline
(office, landline, fax), and otherwise unless libphonenumber's metadata for its country knows it as a fixed
line or a service number. A number we cannot classify (a North American number may be either, some ranges are
unknown) is given the benefit of the doubt: the ladder's later rungs still reach a person.
"""

import re

import phonenumbers
from phonenumbers import PhoneNumberType

_TEXTABLE_LABEL = re.compile(r"(?i)\b(mobile|cell|cellphone|handy|sms|text)\b")
_LANDLINE_LABEL = re.compile(r"(?i)\b(landline|office|desk|fax|switchboard)\b")
_CANNOT_TEXT = {
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE,
    PhoneNumberType.SHARED_COST,
    PhoneNumberType.UAN,
    PhoneNumberType.VOICEMAIL,
}


def takes_texts(number: str, label: str = "") -> bool:
    """Whether a text to this number (E.164, "+4420...") can reach a phone."""
    if _TEXTABLE_LABEL.search(label or ""):
        return True
    if _LANDLINE_LABEL.search(label or ""):
        return False
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return True
    return phonenumbers.number_type(parsed) not in _CANNOT_TEXT
