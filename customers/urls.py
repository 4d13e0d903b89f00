from django.urls import path

from . import views

app_name = "customers"

urlpatterns = [
    path("", views.CustomerListView.as_view(), name="customer_list"),
    path("new/", views.CustomerCreateView.as_view(), name="customer_create"),
    path("my-work/", views.MyWorkView.as_view(), name="my_work"),
    path("<int:pk>/", views.CustomerDetailView.as_view(), name="customer_detail"),
    path("<int:pk>/timeline/", views.TimelineView.as_view(), name="timeline"),
    path("<int:pk>/export.json", views.CustomerExportView.as_view(), name="customer_export"),
    path("<int:pk>/erase/", views.CustomerEraseView.as_view(), name="customer_erase"),
    path("<int:pk>/interactions/new/", views.InteractionLogView.as_view(), name="interaction_log"),
    path("<int:pk>/cases/new/", views.CaseOpenView.as_view(), name="case_open"),
    path("<int:pk>/cases/resolved/", views.ResolvedCasesView.as_view(), name="resolved_cases"),
    path("<int:pk>/notes/new/", views.NoteCreateView.as_view(), name="note_create"),
    path("<int:pk>/profile/", views.ProfileUpdateView.as_view(), name="profile_update"),
    path("<int:pk>/identities/new/", views.IdentityAddView.as_view(), name="identity_add"),
    path("<int:pk>/merge/<int:other>/", views.MergePreviewView.as_view(), name="merge_preview"),
    path("identities/<int:pk>/remove/", views.IdentityRemoveView.as_view(), name="identity_remove"),
    path("merges/<int:pk>/undo/", views.MergeUndoView.as_view(), name="merge_undo"),
    path("suggestions/<int:pk>/dismiss/", views.SuggestionDismissView.as_view(), name="suggestion_dismiss"),
    path("cases/", views.CaseListView.as_view(), name="case_list"),
    path("cases/export.csv", views.CaseExportView.as_view(), name="case_export"),
    path("cases/export.xlsx", views.CaseExportView.as_view(export_format="xlsx"), name="case_export_xlsx"),
    path("cases/<int:pk>/", views.CaseDetailView.as_view(), name="case_detail"),
    path("cases/<int:pk>/reply/", views.CaseReplyView.as_view(), name="case_reply"),
    path("cases/<int:pk>/seen/", views.CaseSeenView.as_view(), name="case_seen"),
]
