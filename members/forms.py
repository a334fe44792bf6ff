from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from members.roles import ALL_PERMISSIONS, PERMISSION_DESCRIPTIONS, Role


class NewAccountForm(forms.Form):
    """Name and password for a person who has no account yet."""

    name = forms.CharField(label=_("Your name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter your name."))
        return name

    def clean(self):
        cleaned = super().clean()
        password1 = cleaned.get("password1")
        password2 = cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords do not match."))
        elif password1:
            # A throwaway user lets the validators compare the password with
            # the name and email, as they would for a registered user.
            from django.contrib.auth import get_user_model

            first_name, _space, last_name = cleaned.get("name", "").partition(" ")
            candidate = get_user_model()(
                username=self.email.lower(),
                email=self.email,
                first_name=first_name,
                last_name=last_name,
            )
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


def permission_choices():
    return [(p, f"{p} — {PERMISSION_DESCRIPTIONS[p]}") for p in ALL_PERMISSIONS]


class MemberRoleForm(forms.Form):
    """Role and optional explicit permissions; empty permissions mean the defaults."""

    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    permissions = forms.MultipleChoiceField(
        label=_("Permissions"),
        choices=permission_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave every box empty to give the role's default permissions."),
    )

    def __init__(self, *args, assignable_roles=None, **kwargs):
        super().__init__(*args, **kwargs)
        if assignable_roles is not None:
            self.fields["role"].choices = [
                (role.value, role.label) for role in assignable_roles
            ]

    def clean_permissions(self):
        return self.cleaned_data["permissions"] or None


class MemberInviteForm(MemberRoleForm):
    email = forms.EmailField(label=_("Email"), max_length=254)
    invite_message = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    field_order = ["email", "role", "permissions", "invite_message"]
