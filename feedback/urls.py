from django.urls import path, re_path

from . import views
from .journey_analytics import views as journey_analytics
from .reports import views as reports

app_name = "feedback"

urlpatterns = [
    # Under /customers/ beside customers' own pages (customers.urls has no such path, so this include answers).
    path("customers/<int:pk>/health/", views.CustomerHealthView.as_view(), name="customer_health"),
    path("customers/attention/", views.AttentionView.as_view(), name="attention"),
    path(
        "customers/attention/<int:pk>/snooze/", views.AttentionActView.as_view(kind="snooze"), name="attention_snooze"
    ),
    path(
        "customers/attention/<int:pk>/handled/",
        views.AttentionActView.as_view(kind="handled"),
        name="attention_handled",
    ),
    path("surveys/", views.SurveyListView.as_view(), name="survey_list"),
    path("reports/", reports.OverviewView.as_view(), name="report_overview"),
    path("reports/breakdown/", reports.BreakdownView.as_view(), name="report_breakdown"),
    path("reports/touchpoints/", reports.TouchpointsView.as_view(), name="report_touchpoints"),
    path("reports/topics/", reports.TopicsView.as_view(), name="report_topics"),
    path("reports/campaigns/", reports.CampaignsView.as_view(), name="report_campaigns"),
    path("reports/follow-ups/", reports.FollowupsView.as_view(), name="report_followups"),
    path("reports/journeys/", reports.JourneysView.as_view(), name="report_journeys"),
    path("reports/health/", reports.HealthReportView.as_view(), name="report_health"),
    path("reports/health/drill/", reports.HealthDrillView.as_view(), name="report_health_drill"),
    path(
        "reports/journeys/<int:pk>/analytics/",
        journey_analytics.JourneyAnalyticsView.as_view(),
        name="journey_analytics",
    ),
    path(
        "reports/journeys/<int:pk>/analytics/panel/",
        journey_analytics.JourneyMapPanelView.as_view(),
        name="journey_analytics_panel",
    ),
    path(
        "reports/journeys/<int:pk>/analytics/customers/",
        journey_analytics.JourneyCustomersView.as_view(),
        name="journey_customers",
    ),
    path("reports/mine/", reports.MineView.as_view(), name="report_mine"),
    path("reports/drill/", reports.DrilldownView.as_view(), name="report_drilldown"),
    path("reports/refresh/", reports.RefreshView.as_view(), name="report_refresh"),
    path("s/<str:token>/", views.SurveyAnswerView.as_view(), name="survey_answer"),
    path("s/<str:token>/thanks/", views.survey_thanks, name="survey_thanks"),
    path("s/<str:token>/unsubscribe/", views.UnsubscribeView.as_view(), name="unsubscribe"),
    # Last: any other path under /s/ (a survey link cut short) gets the friendly 404, not the URL list.
    re_path(r"^s/(?P<rest>.*)$", views.survey_link_unmatched, name="survey_link_unmatched"),
]
