from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("interactions", views.InteractionViewSet, basename="interaction")
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("cases", views.CaseViewSet, basename="case")
router.register("notes", views.NoteViewSet, basename="note")
router.register("merges", views.MergeRecordViewSet, basename="merge")
router.register("merge-suggestions", views.MergeSuggestionViewSet, basename="merge-suggestion")

urlpatterns = router.urls
