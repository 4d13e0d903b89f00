from django.urls import path
from rest_framework.routers import DefaultRouter

from ..journey_analytics.api import JourneyFunnelView, JourneyPathsView
from .metrics import MetricsView
from .views import InvitationViewSet, ResponseViewSet, SurveyRuleViewSet, SurveyViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("surveys", SurveyViewSet, basename="survey")
router.register("survey-rules", SurveyRuleViewSet, basename="survey-rule")
router.register("invitations", InvitationViewSet, basename="invitation")
router.register("responses", ResponseViewSet, basename="response")

urlpatterns = router.urls + [
    path("metrics/", MetricsView.as_view(), name="metrics"),
    path("journeys/<int:pk>/funnel/", JourneyFunnelView.as_view(), name="journey-funnel"),
    path("journeys/<int:pk>/paths/", JourneyPathsView.as_view(), name="journey-paths"),
]
