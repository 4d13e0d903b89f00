from rest_framework.routers import DefaultRouter

from .views import JourneyMapViewSet, PersonaViewSet, TouchpointViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("personas", PersonaViewSet, basename="persona")
router.register("journeys", JourneyMapViewSet, basename="journeymap")
router.register("touchpoints", TouchpointViewSet, basename="touchpoint")

urlpatterns = router.urls
