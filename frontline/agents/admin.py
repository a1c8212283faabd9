from django.contrib import admin, messages

from frontline.agents import services
from frontline.agents.models import Agent, AgentSkill, ApiToken, Role, Skill, Team
from frontline.web.access import agent_of


class AgentSkillInline(admin.TabularInline):
    """Shown, not edited here: skills are set when an agent is created; editing them (with the routing
    statistics that depend on them) comes with routing."""

    model = AgentSkill
    extra = 0
    fields = readonly_fields = ["skill", "level"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


def _role_action(role):
    @admin.action(description=f"Make {Role(role).label.lower()}")
    def action(modeladmin, request, queryset):
        for agent in queryset:
            services.change_role(agent, role, by=agent_of(request.user))
        messages.success(request, f"{queryset.count()} agents are now {Role(role).label.lower()}.")

    action.__name__ = f"make_{role}"
    return action


@admin.action(description="Add an API token for each (shown once)")
def add_token(modeladmin, request, queryset):
    for agent in queryset:
        _, plaintext = services.issue_api_token(
            agent, f"token for {agent.user.username}", by=agent_of(request.user)
        )
        messages.warning(request, f"Token for {agent}: {plaintext} (copy it now; it is not stored)")


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["display_name", "team", "role", "capacity", "is_available"]
    list_filter = ["team", "role", "is_available", "skills"]
    search_fields = ["display_name", "user__username", "user__email"]
    readonly_fields = ["user", "role"]
    inlines = [AgentSkillInline]
    actions = [add_token, *(_role_action(role) for role in Role.values)]

    def has_add_permission(self, request):
        return False  # agents are created by `frontline` commands or the service, which records it

    def save_model(self, request, obj, form, change):
        # Through the service, so that every change writes its event, as on the API.
        changes = {f: form.cleaned_data[f] for f in form.changed_data if f in services.CHANGEABLE}
        if changes:
            services.change_agent(Agent.objects.get(pk=obj.pk), by=agent_of(request.user), **changes)


@admin.action(description="Issue a new token for the same agent (shown once)")
def issue_token(modeladmin, request, queryset):
    for token in queryset:
        _, plaintext = services.issue_api_token(token.agent, token.name, by=agent_of(request.user))
        messages.warning(request, f"New token for {token.agent}: {plaintext} (copy it now; it is not stored)")


@admin.action(description="Revoke")
def revoke_tokens(modeladmin, request, queryset):
    for token in queryset.filter(revoked_at__isnull=True):
        services.revoke_api_token(token, by=agent_of(request.user))


def _trust_action(trusted: bool):
    words = "Trust its abuse reports (may contain before notice)" if trusted else "Stop trusting its reports"

    @admin.action(description=words)
    def action(modeladmin, request, queryset):
        for token in queryset:
            services.trust_reporter(token, trusted, by=agent_of(request.user))

    action.__name__ = "trust_reporter" if trusted else "distrust_reporter"
    return action


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "agent", "trusted_reporter", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at", "trusted_reporter"]
    search_fields = ["name", "prefix", "agent__display_name"]
    actions = [issue_token, revoke_tokens, _trust_action(True), _trust_action(False)]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


admin.site.register(Team, list_display=["name", "time_zone", "holiday_country"])
admin.site.register(Skill, list_display=["name", "slug"], search_fields=["name", "slug"])
