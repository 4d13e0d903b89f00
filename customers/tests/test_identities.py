import pytest
from django.core.exceptions import ValidationError

from customers.identities import normalise_identity


@pytest.mark.parametrize(
    "value, expected",
    [
        (" Ana@Example.COM ", "ana@example.com"),
        ("bob.smith+tag@mail.co.uk", "bob.smith+tag@mail.co.uk"),
    ],
)
def test_emails_are_trimmed_and_lower_cased(value, expected):
    assert normalise_identity("email", value) == ("email", "", expected)


@pytest.mark.parametrize(
    "value",
    ["(11) 91234-5678", "11 91234 5678", "+55 11 91234-5678", "+5511912345678"],
)
def test_phones_in_national_and_international_formats_become_e164(value):
    assert normalise_identity("phone", value) == ("phone", "", "+5511912345678")


def test_phone_default_region_is_configurable(settings):
    settings.PHONE_DEFAULT_REGION = "PL"
    assert normalise_identity("phone", "601 234 567").value == "+48601234567"


@pytest.mark.parametrize(
    "value, network, expected",
    [("@Ana_Silva", "Instagram", ("handle", "instagram", "ana_silva")), (" ana ", "x", ("handle", "x", "ana"))],
)
def test_handles_lose_the_at_sign_and_case(value, network, expected):
    assert normalise_identity("handle", value, network) == expected


def test_external_ids_keep_their_case_and_name_the_source_system():
    assert normalise_identity("external_id", " AbC-12 ", "Shopify") == ("external_id", "shopify", "AbC-12")


@pytest.mark.parametrize(
    "kind, value, network, fragment",
    [
        ("email", "ana.example.com", "", "“ana.example.com” is not a valid email address: it has no '@'"),
        ("email", "ana@", "", "“ana@” is not a valid email address"),
        ("phone", "not a phone", "", "“not a phone” is not a phone number: it does not look like a phone number."),
        ("phone", "+999 1234 5678", "", "“+999 1234 5678” is not a phone number: its country code is unknown"),
        ("phone", "+55 11 9123456789012345678", "", "is not a phone number: it is too long."),
        ("phone", "123", "", "“123”"),
        ("fax", "123", "", "Unknown identity kind “fax”"),
        ("handle", "ana", "", "needs its network"),
        ("external_id", "12", "", "needs its source system"),
        ("email", "   ", "", "empty"),
        ("email", 42, "", "must be a string"),
    ],
)
def test_invalid_values_are_rejected_naming_value_and_reason(kind, value, network, fragment):
    with pytest.raises(ValidationError) as exc:
        normalise_identity(kind, value, network)
    assert fragment in " ".join(exc.value.messages)
