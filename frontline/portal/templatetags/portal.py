from django import template

from frontline.portal.words import say as say_words

register = template.Library()


@register.filter
def say(value, vocabulary: str) -> str:
    """{{ unit.state|say:"unit_state" }}: the customer's words for a stored value, in their language."""
    return say_words(value, vocabulary)
