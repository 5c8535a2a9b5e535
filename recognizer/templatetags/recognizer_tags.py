from django import template

register = template.Library()


@register.filter
def percent(value, places=1):
    """0.9314 -> "93.1%"."""
    try:
        return f"{float(value) * 100:.{int(places)}f}%"
    except (TypeError, ValueError):
        return ""


@register.filter
def a_digit(digit) -> str:
    """A digit with its article, as the sentence says it: "a 7", "an 8" ("an eight")."""
    return f"{'an' if str(digit) == '8' else 'a'} {digit}"


@register.inclusion_tag("recognizer/_bars.html")
def probability_bars(probabilities, digit):
    """The ten probabilities as labelled bars, the predicted digit highlighted."""
    rows = [
        {
            "digit": index,
            "probability": probability,
            # A dot decimal whatever the locale: this goes into a CSS width.
            "width": f"{max(0.0, min(1.0, float(probability))) * 100:.2f}",
            "top": index == digit,
        }
        for index, probability in enumerate(probabilities or [])
    ]
    return {"rows": rows}
