from django.contrib import admin, messages

from frontline.customers import services
from frontline.customers.models import ContactPoint, Customer, Membership, Person, ServiceUnit
from frontline.web.access import agent_of


class MembershipInline(admin.TabularInline):
    """Shown, not edited: linking a person to an account goes through `link_person`, which records it."""

    model = Membership
    extra = 0
    fields = readonly_fields = ["person", "customer", "role"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "standing", "plan", "tier", "customer_since", "monthly_value"]
    list_filter = ["standing", "plan", "tier"]
    search_fields = ["name", "people__name"]
    # An unmatched sender becomes part of an account by matching (the case page, the API), never by hand.
    readonly_fields = ["created_at", "standing", "matched_into"]
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        # Through the services, so that every change writes its event like everywhere else.
        by = agent_of(request.user)
        if change:
            changes = {
                f: form.cleaned_data[f] for f in form.changed_data if f in services.UPDATABLE_CUSTOMER_FIELDS
            }
            if changes:
                services.update_customer(Customer.objects.get(pk=obj.pk), by=by, via="admin", **changes)
        else:
            created = services.create_customer(
                name=obj.name,
                plan=obj.plan,
                tier=obj.tier,
                customer_since=obj.customer_since,
                monthly_value=obj.monthly_value,
                notes=obj.notes,
                by=by,
                via="admin",
            )
            obj.pk = created.pk
            obj.created_at = created.created_at


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name", "contacts__normalized"]
    readonly_fields = ["created_at"]
    inlines = [MembershipInline]

    def has_add_permission(self, request):
        return False  # people are added to an account (API or workspace), which records who and why


@admin.action(description="Mark verified (the owner confirmed it by phone)")
def mark_verified(modeladmin, request, queryset):
    for point in queryset:
        services.verify_contact_point(point, by=agent_of(request.user), via="admin")
    messages.success(request, f"{queryset.count()} contact points verified.")


@admin.register(ContactPoint)
class ContactPointAdmin(admin.ModelAdmin):
    list_display = ["value", "kind", "label", "state", "person", "customer", "verified_at", "last_failure_at"]
    list_filter = ["kind", "state"]
    search_fields = ["normalized", "person__name", "customer__name"]
    raw_id_fields = ["person", "customer"]
    actions = [mark_verified]
    readonly_fields = [
        "state",
        "verified_at",
        "last_delivery_ok_at",
        "last_failure_at",
        "failure_reason",
        "normalized",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # state changes are evidence-bearing: actions and services only


@admin.register(ServiceUnit)
class ServiceUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "state", "customer", "parent", "hostname", "ip_address"]
    list_filter = ["kind", "state"]
    search_fields = ["name", "hostname", "ip_address", "customer__name"]
    raw_id_fields = ["customer", "parent"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
