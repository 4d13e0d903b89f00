"""feedback's sections of a customer's personal-data export (customers.gdpr, through
settings.CUSTOMER_EXPORT_SECTIONS): the survey invitations sent to them and their responses."""

from customers.gdpr import model_rows

from .models import Invitation, Response


def customer_export_sections(customer) -> list[tuple[str, object]]:
    """[(name, rows)] of the customer's invitations (without the sending run's claim token) and responses."""
    return [
        (
            "survey_invitations",
            model_rows(Invitation.objects.filter(customer=customer).order_by("id"), exclude=("claim_token",)),
        ),
        ("survey_responses", model_rows(Response.objects.filter(customer=customer).order_by("id"))),
    ]
