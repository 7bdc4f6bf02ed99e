"""Pages of the approval hall: the applicant's (/me/…) and the staff workbench
(/staff/cases/…). Included once at the site root."""

from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    # applicant
    path("me/apply/<str:code>/", views.apply, name="apply"),
    path("me/cases/", views.my_cases, name="my_cases"),
    path("me/cases/<str:number>/", views.my_case, name="my_case"),
    path(
        "me/cases/<str:number>/supplement/",
        views.my_supplement_upload,
        name="my_supplement_upload",
    ),
    path(
        "me/cases/<str:number>/supplement/complete/",
        views.my_supplement_complete,
        name="my_supplement_complete",
    ),
    path("me/cases/<str:number>/withdraw/", views.my_withdraw, name="my_withdraw"),
    path("me/cases/<str:number>/pay/", views.my_pay, name="my_pay"),
    # the embedded simulated payment gateway's cashier page
    path("pay/simulated/", views.simulated_pay, name="simulated_pay"),
    path("pay/simulated/confirm/", views.simulated_pay_confirm, name="simulated_pay_confirm"),
    path(
        "me/cases/<str:number>/materials/<int:material_id>/",
        views.material_download,
        name="my_material",
    ),
    path(
        "me/cases/<str:number>/documents/<int:document_id>/",
        views.document_download,
        name="my_document",
    ),
    # staff
    path("staff/cases/", views.case_list, name="case_list"),
    path("staff/cases/summary/", views.staff_summary, name="summary"),
    path("staff/cases/intake/", views.intake, name="intake"),
    path("staff/cases/inbox/", views.inbox, name="inbox"),
    path("staff/cases/<str:number>/", views.staff_case, name="staff_case"),
    path(
        "staff/cases/<str:number>/materials/<int:material_id>/",
        views.material_download,
        name="staff_material",
    ),
    path(
        "staff/cases/<str:number>/documents/<int:document_id>/",
        views.document_download,
        name="staff_document",
    ),
    path(
        "staff/cases/<str:number>/tasks/<int:task_id>/<str:action>/",
        views.staff_task_action,
        name="task_action",
    ),
    path(
        "staff/cases/<str:number>/<str:action>/",
        views.staff_case_action,
        name="case_action",
    ),
]
