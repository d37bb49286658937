from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from beffroi.accounts import views
from beffroi.accounts.forms import BeffroiPasswordResetForm

app_name = "accounts"
urlpatterns: list[object] = [
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("inscription/", views.signup, name="signup"),
    path("verification/renvoyer/", views.verify_email_resend, name="verify_email_resend"),
    path("verification/<str:token>/", views.verify_email, name="verify_email"),
    path(
        "mot-de-passe/oublie/",
        auth_views.PasswordResetView.as_view(
            form_class=BeffroiPasswordResetForm,
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "mot-de-passe/oublie/envoye/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("accounts:password_reset_complete")
        ),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/nouveau/termine/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "mot-de-passe/changer/",
        auth_views.PasswordChangeView.as_view(
            success_url=reverse_lazy("accounts:password_change_done")
        ),
        name="password_change",
    ),
    path(
        "mot-de-passe/change/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("profil/", views.profile, name="profile"),
    path("profil/mes-donnees/", views.data_export, name="data_export"),
    path("profil/supprimer/", views.erase, name="erase"),
    path("double-authentification/", views.two_factor, name="two_factor"),
    path(
        "double-authentification/codes-de-secours/",
        views.backup_codes_regenerate,
        name="backup_codes",
    ),
    path("jetons/", views.api_token_create, name="api_token_create"),
    path("jetons/<int:token_id>/revoquer/", views.api_token_revoke, name="api_token_revoke"),
]
